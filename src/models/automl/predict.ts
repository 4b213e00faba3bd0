/** Prediction with a saved automl model: `sciml predict` (a file) and `sciml serve` (HTTP rows) both call predictAutoml. */
import type { DataTable } from '../../data/table.js';
import { readTable } from '../../data/read-table.js';
import { int32Column, writeArrowTable } from '../../data/arrow.js';
import { predictionsToArrow, type Predictions } from '../../data/predictions.js';
import { loadModel, predictTable, type LoadedModel } from './model.js';
import { ensureBackendFor } from './trial.js';

/** Loads model/ and readies the compute backend its members need. */
export async function loadAutomlPredictor(modelDir: string): Promise<LoadedModel> {
  const model = loadModel(modelDir);
  await ensureBackendFor(model.members.map((m) => m.kind));
  return model;
}

/** Every column the model predicts: `prediction`, then `pred_<member>` per ensemble member. */
export function predictAutoml(model: LoadedModel, table: DataTable): Predictions {
  const { prediction, members } = predictTable(model, table);
  return {
    rows: table.numRows,
    columns: [{ name: 'prediction', kind: 'float64', values: prediction }, ...members.map((m) => ({ name: `pred_${m.name}`, kind: 'float64' as const, values: m.prediction }))],
  };
}

export async function predictToFile(modelDir: string, input: string, output: string): Promise<{ rows: number; output: string }> {
  const model = await loadAutomlPredictor(modelDir);
  const table = await readTable(input);
  const predictions = predictAutoml(model, table);
  await writeArrowTable(predictionsToArrow(predictions, { row: int32Column(Int32Array.from({ length: table.numRows }, (_, i) => i)) }), output);
  return { rows: table.numRows, output };
}
