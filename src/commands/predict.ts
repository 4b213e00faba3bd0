import type { Command } from 'commander';
import type { GlobalsOf } from '../contracts/globals.js';
import { UserError } from '../runtime/errors.js';

export function registerPredict(program: Command, globals: GlobalsOf): void {
  program
    .command('predict')
    .description('predict new rows (or traces) with a trained run: automl, tabular, knots or denoiser')
    .requiredOption('--model <dir>', 'a run directory or its model/ folder')
    .requiredOption('--input <file>', 'automl/knots: CSV or Arrow table of new rows; denoiser: Arrow (list column noisy), .npy or .npz (- for stdin)')
    .option('-o, --output <file>', 'Arrow file to write (- for stdout)', '-')
    .option('--explain <method>', 'knots: add per-feature attributions (integrated_gradients)')
    .option('--proba', 'classification: write only the class probabilities (proba_<class> columns)')
    .action(async (opts: { model: string; input: string; output: string; explain?: string; proba?: boolean }) => {
      const { locateModel } = await import('../runtime/model-dir.js');
      const { MODEL_MARKERS, PREDICTORS } = await import('../registry.js');
      const where = locateModel(opts.model, MODEL_MARKERS);
      const entry = PREDICTORS[where.task];
      if (opts.explain !== undefined && !(entry?.explain ?? []).includes(opts.explain)) {
        const explaining = Object.entries(PREDICTORS).filter(([, p]) => p.explain?.length);
        const methods = [...new Set(explaining.flatMap(([, p]) => p.explain!))].map((m) => `'${m}'`).join(' or ');
        throw new UserError(`--explain: expected ${methods} with a ${explaining.map(([task]) => task).join(' or ')} run, got ${JSON.stringify(opts.explain)} for a ${where.task} run`);
      }
      if (opts.proba && !entry?.proba) throw new UserError(`--proba: class probabilities need a classification automl run, got a ${where.task} run`);
      if (!entry) throw new UserError(`${opts.model}: a ${where.task} run; sciml predict handles ${orList(Object.keys(PREDICTORS))} runs`);
      const predictToFile = await entry.load();
      const result = await predictToFile({ where, input: opts.input, output: opts.output, explain: opts.explain, proba: opts.proba });
      if (opts.output !== '-') {
        process.stdout.write(globals().json ? JSON.stringify(result) + '\n' : `${result.rows} predictions written to ${result.output}\n`);
      }
    });
}

function orList(names: string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
