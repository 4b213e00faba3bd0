import type { Command } from 'commander';
import type { GlobalsOf } from '../cli.js';
import { UserError } from '../runtime/errors.js';
import { checkOutputFile } from '../runtime/user-paths.js';
import { checkStdoutOutput, outputFormat } from '../data/write-table.js';

export function registerPredict(program: Command, globals: GlobalsOf): void {
  program
    .command('predict')
    .description('predict new rows (or traces) with a trained run: automl, tabular, knots or denoiser')
    .requiredOption('--model <dir>', 'a run directory or its model/ folder')
    .requiredOption('--input <file>', 'automl/knots: CSV or Arrow table of new rows; denoiser: Arrow (list column noisy), .npy or .npz (- for stdin)')
    .option('-o, --output <file>', 'predictions file, format by extension: .csv, .tsv, .arrow, .parquet, .jsonl (- : an Arrow stream on stdout, not to a terminal)', '-')
    .option('--keep <columns>', 'automl/tabular, knots: input columns to copy into the predictions (ids), comma-separated')
    .option('--explain <method>', 'knots: add per-feature attributions (integrated_gradients)')
    .option('--proba', 'classification: write only the class probabilities (proba_<class> columns)')
    .action(async (opts: { model: string; input: string; output: string; explain?: string; proba?: boolean; keep?: string }) => {
      checkOutputFile('-o', opts.output);
      outputFormat('-o', opts.output);
      checkStdoutOutput('-o', opts.output);
      const keep = opts.keep === undefined ? undefined : opts.keep.split(',').map((s) => s.trim()).filter(Boolean);
      const { locateModel } = await import('../runtime/model-dir.js');
      const where = locateModel(opts.model);
      if (opts.explain !== undefined && (where.task !== 'knots' || opts.explain !== 'integrated_gradients')) {
        throw new UserError(`--explain: expected 'integrated_gradients' with a knots run, got ${JSON.stringify(opts.explain)} for a ${where.task} run`);
      }
      if (keep && where.task === 'denoiser') throw new UserError(`--keep: a denoiser run predicts traces, not table rows; --keep works with automl, tabular and knots runs`);
      if (opts.proba && where.task !== 'automl' && where.task !== 'tabular') throw new UserError(`--proba: class probabilities need a classification automl run, got a ${where.task} run`);
      let result: { rows: number; output: string };
      if (where.task === 'automl' || where.task === 'tabular') result = await (await import('../models/automl/predict.js')).predictToFile(where.modelDir, opts.input, opts.output, { proba: opts.proba, keep });
      else if (where.task === 'knots') result = await (await import('../models/knots/predict.js')).predictToFile(where.modelDir, where.runDir, opts.input, opts.output, { explain: opts.explain as 'integrated_gradients' | undefined, keep });
      else if (where.task === 'denoiser') result = await (await import('../models/denoiser/predict.js')).predictToFile(where.modelDir, opts.input, opts.output);
      else if (where.task === 'particles') result = await (await import('../models/particles/predict.js')).predictToFile(where.modelDir, opts.input, opts.output);
      else throw new UserError(`${opts.model}: a ${where.task} run; sciml predict handles automl, tabular, knots and denoiser runs`);
      if (opts.output !== '-') {
        process.stdout.write(globals().json ? JSON.stringify(result) + '\n' : `${result.rows} predictions written to ${result.output}\n`);
      }
    });
}
