import type { TaskDefinition } from '../../tasks.js';
import { automlSchema, type AutomlConfig } from './config.js';
import { trainAutoml } from './train.js';
import { evaluateAutoml } from './evaluate.js';
import { writeAutomlReport } from './report.js';

export const automlTask: TaskDefinition<AutomlConfig> = {
  name: 'automl',
  summary: 'time-budgeted tabular model search and ensembling',
  schema: automlSchema,
  usesTensorflow: false,
  train: (ctx, config) => trainAutoml(ctx, config),
  evaluate: (ctx, config, options) => evaluateAutoml(ctx, config, options.modelDir),
  renderReport: (run, log) => writeAutomlReport(run, log),
};
