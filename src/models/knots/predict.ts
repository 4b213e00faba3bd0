/**
 * Prediction with a saved knots model: `sciml predict` (a table file) and `sciml serve` (HTTP rows)
 * both call predictKnots. The signature as the model predicts it, its nearest even integer, and on
 * request integrated-gradients attributions per invariant (in signature units; they sum to
 * F(x) − F(baseline) up to the quadrature's gap).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UserError } from '../../runtime/errors.js';
import type { PredictToFile } from '../../contracts/family.js';
import { nearestEven } from '../../data/knots/columns.js';
import { requireNumericColumn, type DataTable } from '../../data/table.js';
import { readTable } from '../../data/read-table.js';
import { writePredictionsFile, type PredictionColumn, type Predictions } from '../../data/predictions.js';
import { knotsSchema, type KnotsConfig } from './config.js';
import { KnotModel, standardizeRows, type KnotModelState, type Standardization } from './model.js';
import { integratedGradients, type QuadratureRule } from './salience.js';
import type { ExplainMethod } from './explain.js';

export type BaselineKind = KnotsConfig['salience']['baseline'];

/** The standardized point for the baselines that need only the training statistics. */
export function standardizedBaseline(
  kind: Exclude<BaselineKind, 'training_median'>,
  st: Standardization,
): Float32Array {
  return Float32Array.from(st.mean, (m, j) => (kind === 'zero' ? (0 - m) / st.std[j] : 0));
}

export function readKnotModel(path: string): KnotModel {
  if (!existsSync(path)) throw new UserError(`${path}: no such model file; expected the model/ folder of a knots run`);
  let state: KnotModelState;
  try {
    state = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`${path}: expected a knots model (JSON), got unreadable content (${(err as Error).message})`);
  }
  if (state.format !== 'sciml-knots-mlp')
    throw new UserError(`${path}: format: expected 'sciml-knots-mlp', got ${JSON.stringify(state.format)}`);
  return KnotModel.fromState(state);
}

export interface IgSettings {
  rule: QuadratureRule;
  steps: number;
  /** The baseline used (training_median needs the training rows, which a model folder lacks: the mean is used instead). */
  baseline: Exclude<BaselineKind, 'training_median'>;
  requested: BaselineKind;
}

export interface KnotsPredictor {
  model: KnotModel;
  ig: IgSettings;
}

/** The run's salience settings (config.yaml beside model/), or the defaults. */
export function igSettings(runDir: string | undefined): IgSettings {
  let salience = knotsSchema.parse({ task: 'knots' }).salience;
  const file = runDir ? join(runDir, 'config.yaml') : undefined;
  if (file && existsSync(file)) {
    const parsed = knotsSchema.safeParse(parseYaml(readFileSync(file, 'utf8')));
    if (parsed.success) salience = parsed.data.salience;
  }
  return {
    rule: salience.rule,
    steps: salience.steps,
    baseline: salience.baseline === 'training_median' ? 'training_mean' : salience.baseline,
    requested: salience.baseline,
  };
}

/** The backend must be initialized (initBackend) before this is called. */
export function loadKnotsPredictor(modelDir: string, runDir?: string): KnotsPredictor {
  return { model: readKnotModel(join(modelDir, 'full.json')), ig: igSettings(runDir) };
}

/** Standardized rows of the model's features; every cell must be a finite number. */
function featureRows(model: KnotModel, table: DataTable): Float32Array {
  const columns = model.features.map((name) => {
    const column = requireNumericColumn(table, name);
    const bad = column.values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0)
      throw new UserError(
        `${table.source}: column '${name}': expected a finite number in every row, row ${bad} is ${Number.isNaN(column.values[bad]) ? 'missing' : column.values[bad]}`,
      );
    return column.values;
  });
  return standardizeRows(
    columns,
    Int32Array.from({ length: table.numRows }, (_, i) => i),
    model.standardization,
  );
}

export function predictKnots(
  p: KnotsPredictor,
  table: DataTable,
  options: { explain?: ExplainMethod } = {},
): Predictions {
  const { model } = p;
  const x = featureRows(model, table);
  const signature = model.predict(x);
  const columns: PredictionColumn[] = [
    { name: 'signature', kind: 'float64', values: signature },
    { name: 'signature_even', kind: 'int32', values: Int32Array.from(signature, nearestEven) },
  ];
  if (options.explain === 'integrated_gradients') {
    const d = model.features.length;
    const ig = integratedGradients(
      model,
      x,
      standardizedBaseline(p.ig.baseline, model.standardization),
      p.ig.rule,
      p.ig.steps,
    );
    model.features.forEach((name, j) =>
      columns.push({
        name: `ig_${name}`,
        kind: 'float64',
        values: Float64Array.from({ length: table.numRows }, (_, i) => ig.attributions[i * d + j]),
      }),
    );
    columns.push(
      { name: 'ig_delta', kind: 'float64', values: ig.delta },
      { name: 'ig_gap', kind: 'float64', values: ig.gap },
    );
  }
  return { rows: table.numRows, columns };
}

export const predictToFile: PredictToFile = async ({ where, input, output, explain, keep }) => {
  const { initBackend } = await import('../../runtime/backend.js');
  await initBackend('auto');
  const predictor = loadKnotsPredictor(where.modelDir, where.runDir);
  const table = await readTable(input);
  const predictions = predictKnots(predictor, table, { explain: explain as ExplainMethod | undefined });
  predictor.model.dispose();
  await writePredictionsFile(table, predictions, keep, output);
  return { rows: table.numRows, output };
};
