/** `sciml evaluate` of an automl model: predict the config's holdout rows and score them. */
import type { TaskContext, TaskOutcome } from '../../contracts/task.js';
import type { Vector } from 'apache-arrow';
import { arrowFileBytes, arrowTable, float64Column, int32Column, utf8Column } from '../../data/arrow.js';
import { allClassificationMetrics } from '../../metrics/classification.js';
import { classColumns } from './outputs.js';
import { encodeLabels } from '../../tabular/problem.js';
import { extractTarget } from '../../learners/preprocess.js';
import type { AutomlConfig } from './config.js';
import { allMetrics } from '../../metrics/regression.js';
import { loadModel, predictTable } from './model.js';
import { ensureBackendFor } from './trial-common.js';
import { holdoutOf, readInputs } from '../../tabular/prepare.js';

export async function evaluateAutoml(ctx: TaskContext, config: AutomlConfig, modelDir: string): Promise<TaskOutcome> {
  const model = loadModel(modelDir);
  await ensureBackendFor(model.members.map((m) => m.kind));
  const inputs = await readInputs(config, ctx.configFile);
  // The same holdout rows as the training run (stratified for classification).
  const classes = model.file.problem?.classes ?? null;
  const { table: holdout, rows } = holdoutOf(
    config,
    inputs,
    classes && !inputs.test ? encodeLabels(inputs.table, model.file.target, classes) : undefined,
  );
  const y = classes ? encodeLabels(holdout, model.file.target, classes) : extractTarget(holdout, model.file.target);
  const { prediction, members } = predictTable(model, holdout);
  const metrics: Record<string, number> = classes ? allClassificationMetrics(y, prediction) : allMetrics(y, prediction);
  let columns: Record<string, Vector>;
  if (classes) {
    columns = {
      row: int32Column(rows),
      y: utf8Column(Array.from(y, (k) => classes[k])),
      ...classColumns(prediction, classes),
    };
  } else {
    columns = { row: int32Column(rows), y: float64Column(y), prediction: float64Column(prediction) };
    for (const m of members) columns[`pred_${m.name}`] = float64Column(m.prediction);
  }
  ctx.run.writeBytes('predictions.arrow', arrowFileBytes(arrowTable(columns)));
  ctx.run.writeMetrics({ task: 'automl', metrics, baseline: {}, model: modelDir, final_model: model.file.final.name });
  const text = Object.entries(metrics)
    .map(([k, v]) => `${k.padEnd(classes ? 17 : 6)} ${v.toFixed(4)}`)
    .join('\n');
  return { text, summary: { metrics, final_model: model.file.final.name } };
}
