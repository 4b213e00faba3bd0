import { Schema, Table } from 'apache-arrow';
import type { RunDir } from '../../runtime/rundir.js';
import { arrowFileBytes, arrowTable, float64Column, int32Column, utf8Column } from '../../data/arrow.js';
import { nearestEven } from '../../data/knots/columns.js';
import type { KnotData } from '../../data/knots/load.js';
import type { KnotsConfig } from './config.js';
import type { EpochRecord } from './fit.js';
import type { SalienceResult, TestEvaluation } from './pipeline.js';
import { textTable } from '../../runtime/text-table.js';

export interface TopKResult {
  k: number;
  method: KnotsConfig['salience']['retrain_method'];
  features: string[];
  test: TestEvaluation;
}

export interface KnotsHistory {
  full: EpochRecord[];
  top_k?: EpochRecord[];
}

/** Everything a finished knots run reports; written to the run directory by writeRunOutputs. */
export interface KnotsOutcome {
  config: KnotsConfig;
  data: KnotData;
  split: { train: number; validation: number; test: number };
  test: TestEvaluation;
  salience: SalienceResult;
  topK?: TopKResult;
  history?: KnotsHistory;
  bestEpoch?: number;
  /** With --resume: epochs of the full model already done when the run continued. */
  resumedAtEpoch?: number;
}

function labelled(table: Table, synthetic: boolean): Table {
  if (!synthetic) return table;
  const metadata = new Map([
    ['sciml.synthetic', 'true'],
    ['sciml.note', 'computed on SYNTHETIC knots (sciml data generate knots), not the published data set'],
  ]);
  return new Table(new Schema(table.schema.fields, metadata), table.batches);
}

function predictionsTable(test: TestEvaluation, synthetic: boolean): Table {
  return labelled(
    arrowTable({
      id: int32Column(test.rows),
      signature: int32Column(test.signature),
      predicted: float64Column(test.predicted),
      predicted_even: int32Column(Float64Array.from(test.predicted, nearestEven)),
      slope_over_2: float64Column(test.slopeOverTwo),
    }),
    synthetic,
  );
}

function salienceTable(s: SalienceResult, synthetic: boolean): Table {
  return labelled(
    arrowTable({
      feature: utf8Column(s.features),
      gradient_saliency: float64Column(s.gradient),
      integrated_gradients: float64Column(s.integrated),
      gradient_rank: int32Column(s.gradientRank),
      integrated_gradients_rank: int32Column(s.integratedRank),
      gradient_saliency_normalized: float64Column(s.gradientNormalized),
      integrated_gradients_normalized: float64Column(s.integratedNormalized),
    }),
    synthetic,
  );
}

/** Feature names in rank order (best first). */
function byRank(features: string[], rank: Int32Array): string[] {
  return features
    .map((f, j) => ({ f, r: rank[j] }))
    .sort((a, b) => a.r - b.r)
    .map((e) => e.f);
}

export function metricsOf(o: KnotsOutcome) {
  const k = o.config.salience.top_k;
  return {
    task: 'knots',
    metrics: {
      test_mse: o.test.mse,
      test_accuracy: o.test.accuracy,
      ig_completeness_gap: o.salience.completenessGap,
      ig_completeness_gap_relative: o.salience.completenessRelative,
      ...(o.topK ? { top_k_test_mse: o.topK.test.mse, top_k_test_accuracy: o.topK.test.accuracy } : {}),
    },
    baseline: { test_mse: o.test.baselineMse, test_accuracy: o.test.baselineAccuracy },
    baseline_name: 'slope/2 (Davies et al. 2021): slope = Re(longitudinal / meridional translation)',
    ...(o.topK
      ? {
          top_k: {
            k: o.topK.k,
            method: o.topK.method,
            features: o.topK.features,
            test_mse: o.topK.test.mse,
            test_accuracy: o.topK.test.accuracy,
          },
        }
      : {}),
    salience: {
      top_gradient: byRank(o.salience.features, o.salience.gradientRank).slice(0, Math.max(3, k)),
      top_integrated_gradients: byRank(o.salience.features, o.salience.integratedRank).slice(0, Math.max(3, k)),
      rule: o.config.salience.rule,
      steps: o.config.salience.steps,
      baseline: o.config.salience.baseline,
      examples: o.salience.examples,
    },
    data: { source: o.data.source, synthetic: o.data.synthetic, rows: o.data.rows, ...o.split },
    objective: o.config.model.objective,
    ...(o.bestEpoch !== undefined ? { best_epoch: o.bestEpoch } : {}),
    ...(o.resumedAtEpoch !== undefined ? { resumed_at_epoch: o.resumedAtEpoch } : {}),
  };
}

/** predictions.arrow, salience.arrow, history.json and metrics.json, each written atomically. */
export function writeRunOutputs(run: RunDir, o: KnotsOutcome): ReturnType<typeof metricsOf> {
  run.writeBytes('predictions.arrow', arrowFileBytes(predictionsTable(o.test, o.data.synthetic)));
  run.writeBytes('salience.arrow', arrowFileBytes(salienceTable(o.salience, o.data.synthetic)));
  if (o.history) run.writeJson('history.json', o.history);
  const metrics = metricsOf(o);
  run.writeMetrics(metrics);
  return metrics;
}

const fmt = (v: number) => v.toFixed(3);

/** The small table printed on stdout. */
export function outcomeText(o: KnotsOutcome): string {
  const models = [
    ['model', 'test_mse', 'accuracy'],
    [`MLP (${o.salience.features.length} features)`, fmt(o.test.mse), fmt(o.test.accuracy)],
    ['slope/2', fmt(o.test.baselineMse), fmt(o.test.baselineAccuracy)],
    ...(o.topK
      ? [
          [
            `MLP (top ${o.topK.k}, ${o.topK.method === 'gradient' ? 'gradient' : 'IG'})`,
            fmt(o.topK.test.mse),
            fmt(o.topK.test.accuracy),
          ],
        ]
      : []),
  ];
  const lines = [
    `knots: ${o.data.synthetic ? 'SYNTHETIC data' : 'data'}, ${o.data.source}, ${o.data.rows} rows (train ${o.split.train}, validation ${o.split.validation}, test ${o.split.test})`,
    '',
    textTable(models, ['left', 'right', 'right']).trimEnd(),
  ];
  lines.push(
    '',
    `top 3, gradient saliency:     ${byRank(o.salience.features, o.salience.gradientRank).slice(0, 3).join(', ')}`,
    `top 3, integrated gradients:  ${byRank(o.salience.features, o.salience.integratedRank).slice(0, 3).join(', ')}`,
    `IG completeness gap: ${o.salience.completenessGap.toPrecision(3)} (${(100 * o.salience.completenessRelative).toPrecision(3)}% of |F(x) - F(baseline)|; ${o.config.salience.rule}, ${o.config.salience.steps} steps)`,
  );
  return lines.join('\n') + '\n';
}
