/** `sciml evaluate` of an automl model: predict the config's holdout rows and score them. */
import type { TaskContext, TaskOutcome } from '../../tasks.js';
import { arrowFileBytes, arrowTable, float64Column, int32Column } from '../../data/arrow.js';
import { extractTarget } from '../tabular/preprocess.js';
import type { AutomlConfig } from './config.js';
import { allMetrics } from './metrics.js';
import { loadModel, predictTable } from './model.js';
import { ensureBackendFor } from './trial.js';
import { holdoutOf, readInputs } from './prepare.js';

export async function evaluateAutoml(ctx: TaskContext, config: AutomlConfig, modelDir: string): Promise<TaskOutcome> {
  const model = loadModel(modelDir);
  await ensureBackendFor(model.members.map((m) => m.kind));
  const inputs = await readInputs(config, ctx.configFile);
  const { table: holdout, rows } = holdoutOf(config, inputs);
  const y = extractTarget(holdout, model.file.target);
  const { prediction, members } = predictTable(model, holdout);
  const metrics = allMetrics(y, prediction);
  const columns: Record<string, ReturnType<typeof float64Column> | ReturnType<typeof int32Column>> = { row: int32Column(rows), y: float64Column(y), prediction: float64Column(prediction) };
  for (const m of members) columns[`pred_${m.name}`] = float64Column(m.prediction);
  ctx.run.writeBytes('predictions.arrow', arrowFileBytes(arrowTable(columns)));
  ctx.run.writeMetrics({ task: 'automl', metrics, baseline: {}, model: modelDir, final_model: model.file.final.name });
  const text = Object.entries(metrics).map(([k, v]) => `${k.padEnd(6)} ${v.toFixed(4)}`).join('\n');
  return { text, summary: { metrics, final_model: model.file.final.name } };
}
