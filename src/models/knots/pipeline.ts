import { dirname, isAbsolute, resolve } from 'node:path';
import type { Logger } from '../../runtime/log.js';
import { Random } from '../../runtime/random.js';
import { UserError } from '../../runtime/errors.js';
import { loadKnotFile, syntheticKnotData, type KnotData } from '../../data/knots/load.js';
import type { KnotsConfig } from './config.js';
import { fitFingerprint, fitModel, type FitOptions, type FitResult, type FitSettings } from './fit.js';
import { fitDistributed, type KnotsDistribution } from './distributed.js';
import { KnotModel, fitStandardization, standardizeRows } from './model.js';
import { evenAccuracy, meanSquaredError, pick, slopeOverTwo, splitRows, type Split } from './evaluation.js';
import { standardizedBaseline } from './predict.js';
import {
  completenessSummary,
  gradientSaliency,
  integratedGradients,
  meanAbsoluteAttribution,
  normalized,
  ranks,
} from './salience.js';

/** The data file a config names, resolved against the config's folder. */
export function dataPath(config: KnotsConfig, configFile?: string): string | undefined {
  const path = config.data.path;
  if (path === undefined || path === '') return undefined;
  if (path === '-') return path;
  return isAbsolute(path) || !configFile ? path : resolve(dirname(configFile), path);
}

/** Feature lists the loader cannot catch: duplicates, or the target among the inputs. */
function checkFeatureList(config: KnotsConfig, where: string): void {
  const seen = new Set<string>();
  for (const f of config.data.features) {
    if (seen.has(f)) throw new UserError(`${where}: data.features: expected distinct column names, got '${f}' twice`);
    seen.add(f);
  }
  if (seen.has(config.data.target))
    throw new UserError(
      `${where}: data.features: expected input columns only, got the target '${config.data.target}' among them`,
    );
}

export async function loadData(config: KnotsConfig, configFile?: string): Promise<KnotData> {
  checkFeatureList(config, configFile ?? 'config');
  const path = dataPath(config, configFile);
  if (path === undefined)
    return syntheticKnotData(config.data.synthetic_rows, config.seed, config.data.features, config.data.target);
  return loadKnotFile(path, config.data.features, config.data.target);
}

export function split(config: KnotsConfig, data: KnotData, where: string): Split {
  return splitRows(data.rows, config.data.validation_fraction, config.data.test_fraction, config.seed, where);
}

/** The data columns a model reads, by its feature names. */
function columnsFor(model: { features: string[] }, data: KnotData): Float64Array[] {
  return model.features.map((name) => {
    const j = data.features.indexOf(name);
    if (j < 0)
      throw new UserError(
        `${data.source}: column '${name}': the model was trained on it, but it is not in data.features (${data.features.join(', ')})`,
      );
    return data.columns[j];
  });
}

export interface TrainedModel {
  model: KnotModel;
  fit: FitResult;
}

export interface TrainOptions extends FitOptions {
  /** With more than one replica or a remote executor: train on the shared data-parallel mechanism (knots/distributed.ts). */
  distribution?: KnotsDistribution;
}

/** Standardizes with training statistics, builds the MLP and trains it with early stopping (continuing from options.checkpoint when asked). */
export async function trainModel(
  config: KnotsConfig,
  data: KnotData,
  rows: Split,
  features: string[],
  seed: number,
  log: Logger,
  label: string,
  options: TrainOptions = {},
): Promise<TrainedModel> {
  const columns = features.map((f) => data.columns[data.features.indexOf(f)]);
  const standardization = fitStandardization(columns, rows.train);
  const rng = new Random(seed).fork(`knots-model-${label}`);
  const yTrain = pick(data.y, rows.train);
  const model = KnotModel.create(
    {
      features,
      standardization,
      objective: config.model.objective,
      width: config.model.width,
      depth: config.model.depth,
      activation: config.model.activation,
    },
    yTrain,
    rng,
  );
  const train = { x: standardizeRows(columns, rows.train, standardization), y: yTrain };
  const validation = {
    x: standardizeRows(columns, rows.validation, standardization),
    y: pick(data.y, rows.validation),
  };
  const settings: FitSettings = {
    learningRate: config.training.learning_rate,
    batchSize: config.training.batch_size,
    maxEpochs: config.training.max_epochs,
    patience: config.training.patience,
    weightDecay: config.training.weight_decay,
  };
  const { distribution, ...fitOptions } = options;
  if (distribution && (distribution.settings.replicas > 1 || distribution.execution.spec !== 'local')) {
    const fit = await fitDistributed(
      model,
      train,
      validation,
      settings,
      fitFingerprint(model, train, validation, settings),
      log,
      label,
      distribution,
      options.checkpoint,
      options.onEpoch,
    );
    log.done();
    return { model, fit };
  }
  const fit = await fitModel(model, train, validation, settings, rng.fork('shuffle'), log, label, fitOptions);
  return { model, fit };
}

export interface TestEvaluation {
  rows: Int32Array;
  signature: Float64Array;
  predicted: Float64Array;
  slopeOverTwo: Float64Array;
  mse: number;
  accuracy: number;
  baselineMse: number;
  baselineAccuracy: number;
}

export function evaluateOnTest(model: KnotModel, data: KnotData, rows: Split): TestEvaluation {
  const x = standardizeRows(columnsFor(model, data), rows.test, model.standardization);
  const predicted = model.predict(x);
  const signature = pick(data.y, rows.test);
  const baseline = slopeOverTwo(data, rows.test);
  return {
    rows: rows.test,
    signature,
    predicted,
    slopeOverTwo: baseline,
    mse: meanSquaredError(predicted, signature),
    accuracy: evenAccuracy(predicted, signature),
    baselineMse: meanSquaredError(baseline, signature),
    baselineAccuracy: evenAccuracy(baseline, signature),
  };
}

export interface SalienceResult {
  features: string[];
  gradient: Float64Array;
  integrated: Float64Array;
  gradientRank: Int32Array;
  integratedRank: Int32Array;
  gradientNormalized: Float64Array;
  integratedNormalized: Float64Array;
  /** Mean |sum_i IG_i − (F(x) − F(baseline))| over attributed examples. */
  completenessGap: number;
  /** completenessGap / mean |F(x) − F(baseline)|. */
  completenessRelative: number;
  examples: number;
}

/** The standardized IG baseline the config asks for. */
function baselinePoint(
  kind: KnotsConfig['salience']['baseline'],
  model: KnotModel,
  columns: Float64Array[],
  train: Int32Array,
): Float32Array {
  if (kind !== 'training_median') return standardizedBaseline(kind, model.standardization);
  const { mean, std } = model.standardization;
  return Float32Array.from(columns, (column, j) => {
    const sorted = Float64Array.from(train, (r) => column[r]).sort();
    const mid = sorted.length >> 1;
    const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    return (median - mean[j]) / std[j];
  });
}

/** Gradient saliency over the training rows and integrated gradients over (up to `examples`) test rows. */
export function computeSalience(config: KnotsConfig, model: KnotModel, data: KnotData, rows: Split): SalienceResult {
  const columns = columnsFor(model, data);
  const d = columns.length;
  const gradient = gradientSaliency(
    model,
    standardizeRows(columns, rows.train, model.standardization),
    pick(data.y, rows.train),
  );
  const attributed = rows.test.subarray(0, Math.min(rows.test.length, config.salience.examples));
  const ig = integratedGradients(
    model,
    standardizeRows(columns, attributed, model.standardization),
    baselinePoint(config.salience.baseline, model, columns, rows.train),
    config.salience.rule,
    config.salience.steps,
  );
  const integrated = meanAbsoluteAttribution(ig.attributions, d);
  const completeness = completenessSummary(ig);
  return {
    features: model.features,
    gradient,
    integrated,
    gradientRank: ranks(gradient),
    integratedRank: ranks(integrated),
    gradientNormalized: normalized(gradient),
    integratedNormalized: normalized(integrated),
    completenessGap: completeness.meanAbsGap,
    completenessRelative: completeness.relative,
    examples: attributed.length,
  };
}
