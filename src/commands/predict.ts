import type { Command } from 'commander';
import type { GlobalsOf } from '../cli.js';
import { UserError } from '../runtime/errors.js';

export function registerPredict(program: Command, _globals: GlobalsOf): void {
  program
    .command('predict')
    .description('predict new rows with a saved tabular model')
    .requiredOption('--model <dir>', 'the model/ folder of an automl run')
    .requiredOption('--input <file>', 'CSV or Arrow table of new rows (- for stdin)')
    .option('-o, --output <file>', 'Arrow file to write (- for stdout)', '-')
    .action(async () => {
      throw new UserError('predict: the automl task is not built in this version of sciml yet');
    });
}
