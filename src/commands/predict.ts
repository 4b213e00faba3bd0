import type { Command } from 'commander';
import type { GlobalsOf } from '../contracts/globals.js';
import { UserError } from '../runtime/errors.js';
import { checkOutputFile } from '../runtime/user-paths.js';

export function registerPredict(program: Command, globals: GlobalsOf): void {
  program
    .command('predict')
    .description('predict new rows (or traces) with a trained run: automl, tabular, knots or denoiser')
    .requiredOption('--model <dir>', 'a run directory or its model/ folder')
    .requiredOption(
      '--input <file>',
      'automl/knots: CSV or Arrow table of new rows; denoiser: Arrow (list column noisy), .npy or .npz (- for stdin)',
    )
    .option(
      '-o, --output <file>',
      'predictions file, format by extension: .csv, .tsv, .arrow, .parquet, .jsonl (- : an Arrow stream on stdout, not to a terminal)',
      '-',
    )
    .option(
      '--keep <columns>',
      'automl/tabular, knots: input columns to copy into the predictions (ids), comma-separated',
    )
    .option('--explain <method>', 'knots: add per-feature attributions (integrated_gradients)')
    .option('--proba', 'classification: write only the class probabilities (proba_<class> columns)')
    .action(
      async (opts: {
        model: string;
        input: string;
        output: string;
        explain?: string;
        proba?: boolean;
        keep?: string;
      }) => {
        checkOutputFile('-o', opts.output);
        const { checkStdoutOutput, outputFormat } = await import('../data/write-table.js');
        outputFormat('-o', opts.output);
        checkStdoutOutput('-o', opts.output);
        const keep =
          opts.keep === undefined
            ? undefined
            : opts.keep
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean);
        const { locateModel } = await import('../runtime/model-dir.js');
        const { MODEL_MARKERS, PREDICTORS } = await import('../registry.js');
        const where = locateModel(opts.model, MODEL_MARKERS);
        const entry = PREDICTORS[where.task];
        if (opts.explain !== undefined && !(entry?.explain ?? []).includes(opts.explain)) {
          const explaining = Object.entries(PREDICTORS).filter(([, p]) => p.explain?.length);
          const methods = [...new Set(explaining.flatMap(([, p]) => p.explain!))].map((m) => `'${m}'`).join(' or ');
          throw new UserError(
            `--explain: expected ${methods} with a ${explaining.map(([task]) => task).join(' or ')} run, got ${JSON.stringify(opts.explain)} for a ${where.task} run`,
          );
        }
        if (keep && entry && !entry.keep)
          throw new UserError(
            `--keep: a ${where.task} run does not predict table rows; --keep works with ${orList(Object.keys(PREDICTORS).filter((t) => PREDICTORS[t].keep))} runs`,
          );
        if (opts.proba && !entry?.proba)
          throw new UserError(`--proba: class probabilities need a classification automl run, got a ${where.task} run`);
        if (!entry)
          throw new UserError(
            `${opts.model}: a ${where.task} run; sciml predict handles ${orList(Object.keys(PREDICTORS))} runs`,
          );
        const predictToFile = await entry.load();
        const result = await predictToFile({
          where,
          input: opts.input,
          output: opts.output,
          explain: opts.explain,
          proba: opts.proba,
          keep,
        });
        if (opts.output !== '-') {
          process.stdout.write(
            globals().json ? JSON.stringify(result) + '\n' : `${result.rows} predictions written to ${result.output}\n`,
          );
        }
      },
    );
}

function orList(names: string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
