/** `sciml predict`: a saved automl model on new rows, written as Arrow. */
import type { Vector } from 'apache-arrow';
import { readTable } from '../../data/read-table.js';
import { arrowTable, float64Column, int32Column, utf8Column, writeArrowTable } from '../../data/arrow.js';
import { UserError } from '../../runtime/errors.js';
import { argmaxRows } from '../tabular/classifier.js';
import { loadModel, predictTable } from './model.js';
import { classColumns } from './outputs.js';
import { ensureBackendFor } from './trial.js';

/**
 * Regression: `prediction` and each member's `pred_<name>`. Classification: `prediction` (the
 * label), `proba_<class>` per class, and each member's predicted label; with `proba` only the
 * probabilities (an error for a regression model).
 */
export async function predictToFile(modelDir: string, input: string, output: string, options: { proba?: boolean } = {}): Promise<{ rows: number; output: string }> {
  const model = loadModel(modelDir);
  const classes = model.file.problem?.classes ?? null;
  if (options.proba && !classes) throw new UserError(`${modelDir}: --proba: class probabilities need a classification model, this one is ${model.file.problem?.type ?? 'regression'} (target '${model.file.target}')`);
  await ensureBackendFor(model.members.map((m) => m.kind));
  const table = await readTable(input);
  const { prediction, members } = predictTable(model, table);
  const columns: Record<string, Vector> = { row: int32Column(Int32Array.from({ length: table.numRows }, (_, i) => i)) };
  if (classes) {
    const { prediction: label, ...proba } = classColumns(prediction, classes);
    if (!options.proba) columns.prediction = label;
    Object.assign(columns, proba);
    if (!options.proba) for (const m of members) columns[`pred_${m.name}`] = utf8Column(Array.from(argmaxRows(m.prediction, classes.length), (k) => classes[k]));
  } else {
    columns.prediction = float64Column(prediction);
    for (const m of members) columns[`pred_${m.name}`] = float64Column(m.prediction);
  }
  await writeArrowTable(arrowTable(columns), output);
  return { rows: table.numRows, output };
}
