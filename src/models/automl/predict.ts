/** `sciml predict`: a saved automl model on new rows, written as Arrow. */
import { readTable } from '../../data/read-table.js';
import { arrowTable, float64Column, int32Column, writeArrowTable } from '../../data/arrow.js';
import { loadModel, predictTable } from './model.js';
import { ensureBackendFor } from './trial.js';

export async function predictToFile(modelDir: string, input: string, output: string): Promise<{ rows: number; output: string }> {
  const model = loadModel(modelDir);
  await ensureBackendFor(model.members.map((m) => m.kind));
  const table = await readTable(input);
  const { prediction, members } = predictTable(model, table);
  const columns: Record<string, ReturnType<typeof float64Column> | ReturnType<typeof int32Column>> = {
    row: int32Column(Int32Array.from({ length: table.numRows }, (_, i) => i)),
    prediction: float64Column(prediction),
  };
  for (const m of members) columns[`pred_${m.name}`] = float64Column(m.prediction);
  await writeArrowTable(arrowTable(columns), output);
  return { rows: table.numRows, output };
}
