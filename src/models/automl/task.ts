import type { TaskDefinition } from '../../contracts/task.js';
import { automlSchema, type AutomlConfig } from './config.js';
import { trainAutoml } from './train.js';
import { evaluateAutoml } from './evaluate.js';

export const automlTask: TaskDefinition<AutomlConfig> = {
  name: 'automl',
  schema: automlSchema,
  usesTensorflow: false,
  train: (ctx, config) => trainAutoml(ctx, config),
  evaluate: (ctx, config, options) => evaluateAutoml(ctx, config, options.modelDir),
  // Lazy: the report pulls in vega, which is slow to load.
  renderReport: (run, log) => import('./report.js').then((m) => m.writeAutomlReport(run, log)),
};
