/** Prediction with a saved automl model: `sciml predict` (a file) and `sciml serve` (HTTP rows) both call predictAutoml. */
import type { DataTable } from '../../data/table.js';
import { readTable } from '../../data/read-table.js';
import { writePredictionsFile, type PredictionColumn, type Predictions } from '../../data/predictions.js';
import { UserError } from '../../runtime/errors.js';
import type { PredictToFile } from '../../contracts/family.js';
import { batchFromTable } from '../../serve/input.js';
import { HttpProblem } from '../../serve/problem.js';
import type { InputField } from '../../contracts/servable.js';
import { argmaxRows } from '../../learners/classifier.js';
import { loadModel, predictTable, type LoadedModel } from './model.js';
import { ensureBackendFor } from './trial-common.js';

/** Loads model/ and readies the compute backend its members need; a server keeps the members in memory. */
export async function loadAutomlPredictor(
  modelDir: string,
  options: { keepMembers?: boolean } = {},
): Promise<LoadedModel> {
  const model = loadModel(modelDir, options);
  await ensureBackendFor(model.members.map((m) => m.kind));
  return model;
}

export interface AutomlPredictOptions {
  /** Classification: only the class probabilities. */
  proba?: boolean;
  /** Input columns passed through to the predictions (`--keep`). */
  keep?: string[];
}

function labelsOf(proba: Float64Array, classes: string[]): string[] {
  return Array.from(argmaxRows(proba, classes.length), (k) => classes[k]);
}

/**
 * Every column the model predicts. Regression: `prediction` and each member's `pred_<name>`.
 * Classification: `prediction` (the label), `proba_<class>` per class, and each member's predicted
 * label; with `proba` only the probabilities (an error for a regression model).
 */
export function predictAutoml(model: LoadedModel, table: DataTable, options: AutomlPredictOptions = {}): Predictions {
  const classes = model.file.problem?.classes ?? null;
  if (options.proba && !classes)
    throw new UserError(
      `${model.dir}: --proba: class probabilities need a classification model, this one is ${model.file.problem?.type ?? 'regression'} (target '${model.file.target}')`,
    );
  const { prediction, members } = predictTable(model, table);
  const rows = table.numRows;
  if (!classes) {
    return {
      rows,
      columns: [
        { name: 'prediction', kind: 'float64', values: prediction },
        ...members.map((m): PredictionColumn => ({ name: `pred_${m.name}`, kind: 'float64', values: m.prediction })),
      ],
    };
  }
  const K = classes.length;
  const proba = classes.map(
    (c, k): PredictionColumn => ({
      name: `proba_${c}`,
      kind: 'float64',
      values: Float64Array.from({ length: rows }, (_, i) => prediction[i * K + k]),
    }),
  );
  if (options.proba) return { rows, columns: proba };
  return {
    rows,
    columns: [
      { name: 'prediction', kind: 'string', values: labelsOf(prediction, classes) },
      ...proba,
      ...members.map(
        (m): PredictionColumn => ({ name: `pred_${m.name}`, kind: 'string', values: labelsOf(m.prediction, classes) }),
      ),
    ],
  };
}

/** The columns a saved model takes, as `sciml serve` describes and checks them. */
export function automlInputFields(file: LoadedModel['file']): InputField[] {
  const dates = new Set(file.plan.dates.map((d) => d.column));
  const encoded = new Map(file.encoder.columns.map((c) => [c.name, c]));
  return file.plan.inputs.map((name): InputField => {
    if (dates.has(name)) return { name, type: 'datetime', nullable: true };
    const spec = encoded.get(name);
    if (spec?.kind === 'category') return { name, type: 'category', nullable: true, categories: spec.levels ?? [] };
    return { name, type: 'number', nullable: true };
  });
}

/** The table checked by serve's rules; a problem is a UserError naming the line (CSV) or row, and the column. */
export function checkPredictInput(table: DataTable, fields: InputField[]): void {
  try {
    batchFromTable(table, fields);
  } catch (err) {
    if (!(err instanceof HttpProblem)) throw err;
    const first = err.errors[0];
    const more = / \(and .*\)$/.exec(err.detail)?.[0] ?? '';
    const text = /\.(csv|tsv|txt|tab)$/i.test(table.source) || table.source === '-';
    const at = first?.row !== undefined ? (text ? `:${first.row + 2}` : `: row ${first.row}`) : '';
    throw new UserError(
      `${table.source}${at}: ${first?.field !== undefined ? `column '${first.field}': ` : ''}${first?.message ?? err.detail}${more}`,
    );
  }
}

export const predictToFile: PredictToFile = async ({ where, input, output, proba, keep }) => {
  const model = await loadAutomlPredictor(where.modelDir);
  const table = await readTable(input);
  checkPredictInput(table, automlInputFields(model.file));
  const predictions = predictAutoml(model, table, { proba, keep });
  await writePredictionsFile(table, predictions, keep, output);
  return { rows: table.numRows, output };
};
