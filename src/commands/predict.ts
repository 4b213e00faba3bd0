import type { Command } from 'commander';
import type { GlobalsOf } from '../cli.js';

export function registerPredict(program: Command, globals: GlobalsOf): void {
  program
    .command('predict')
    .description('predict new rows with a saved tabular model')
    .requiredOption('--model <dir>', 'the model/ folder of an automl or tabular run')
    .requiredOption('--input <file>', 'CSV or Arrow table of new rows (- for stdin)')
    .option('-o, --output <file>', 'Arrow file to write (- for stdout)', '-')
    .action(async (opts: { model: string; input: string; output: string }) => {
      const { predictToFile } = await import('../models/automl/predict.js');
      const result = await predictToFile(opts.model, opts.input, opts.output);
      if (opts.output !== '-') {
        process.stdout.write(globals().json ? JSON.stringify(result) + '\n' : `${result.rows} predictions written to ${result.output}\n`);
      }
    });
}
