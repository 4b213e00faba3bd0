/**
 * Test-set evaluation of a trained Inclusive Classifier: metrics of the model and of the in-run
 * HLF baseline on the same events, their paired comparison (McNemar on per-event hits, as
 * src/metrics/paired.ts), integrated-gradients importance of particle positions and features, and
 * the run files (metrics.json, predictions.arrow) the report is drawn from.
 */
import { tf } from '../../runtime/backend.js';
import type { RunDir } from '../../runtime/rundir.js';
import { arrowFileBytes, arrowTable, float32Column, float64Column, int32Column } from '../../data/arrow.js';
import { pairedComparison, type PairedComparison } from '../../metrics/paired.js';
import {
  CLASS_NAMES,
  N_CLASSES,
  N_HLF,
  N_PARTICLE_FEATURES,
  PARTICLE_FEATURES,
  HLF_FEATURES,
} from '../../data/particles/schema.js';
import type { ParticleEvent } from '../../data/particles/reader.js';
import { makeBatch } from './batch.js';
import { classifierMetrics, rocPoints, type ClassifierMetrics } from './metrics.js';
import { Network, usesHlf, usesParticles } from './network.js';
import type { Scored } from './train.js';

export interface Importance {
  /** Mean |attribution| per particle position, counted from the lepton (position 0 = the lepton's row, the last kept). */
  positions: number[];
  /** Mean |attribution| per particle feature, summed over positions. */
  features: Record<string, number>;
  hlf: Record<string, number>;
  events: number;
}

export interface Evaluation {
  events: number;
  model: ClassifierMetrics;
  baseline?: ClassifierMetrics;
  paired?: PairedComparison & { z: number };
  importance?: Importance;
}

export function evaluateScores(scored: Scored): Evaluation {
  const model = classifierMetrics(scored.labels, scored.probs);
  if (!scored.baselineProbs) return { events: scored.labels.length, model };
  const baseline = classifierMetrics(scored.labels, scored.baselineProbs);
  const hits = (p: Float32Array) => {
    const m = new Map<number, boolean>();
    for (let i = 0; i < scored.labels.length; i++) m.set(scored.keys[i], argmax(p, i) === scored.labels[i]);
    return m;
  };
  const paired = pairedComparison(hits(scored.baselineProbs), hits(scored.probs));
  return {
    events: scored.labels.length,
    model,
    baseline,
    paired: { ...paired, z: paired.se > 0 ? paired.diff / paired.se : 0 },
  };
}

function argmax(p: ArrayLike<number>, i: number): number {
  let best = 0;
  for (let k = 1; k < N_CLASSES; k++) if (p[i * N_CLASSES + k] > p[i * N_CLASSES + best]) best = k;
  return best;
}

/**
 * Integrated gradients of the true class's probability with respect to the standardized inputs,
 * from the all-mean baseline (standardized zeros) with the event's own mask, averaged in absolute
 * value over events.
 */
export function integratedGradients(
  net: Network,
  events: ParticleEvent[],
  maxParticles: number,
  steps: number,
): Importance {
  const F = N_PARTICLE_FEATURES;
  const positions = new Float64Array(maxParticles);
  const features = new Float64Array(F);
  const hlfImp = new Float64Array(N_HLF);
  for (let start = 0; start < events.length; start += 32) {
    const group = events.slice(start, start + 32);
    const b = makeBatch(group, maxParticles);
    const [attrP, attrH] = tf.tidy(() => {
      const prepared = net.prepareArrays(b.hlf, b.particles, b.n, b.T);
      const onehot = tf.oneHot(tf.tensor1d(b.labels, 'int32'), N_CLASSES);
      const f = (h: tf.Tensor2D, p: tf.Tensor3D) =>
        tf.sum(tf.mul(tf.softmax(net.logitsPrepared(h, usesParticles(net.spec) ? p : null, prepared.mask)), onehot));
      const pIn = prepared.particles ?? tf.zeros([b.n, 1, F]);
      let sumP: tf.Tensor = tf.zerosLike(pIn);
      let sumH: tf.Tensor = tf.zerosLike(prepared.hlf);
      const withH = usesHlf(net.spec),
        withP = usesParticles(net.spec);
      for (let s = 1; s <= steps; s++) {
        const a = (s - 0.5) / steps;
        const h = tf.mul(prepared.hlf, a) as tf.Tensor2D,
          p = tf.mul(pIn, a) as tf.Tensor3D;
        // gradients only with respect to the inputs the network reads (tfjs refuses the others)
        if (withH && withP) {
          const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => f(x as tf.Tensor2D, y as tf.Tensor3D))([h, p]);
          sumH = tf.add(sumH, g[0]);
          sumP = tf.add(sumP, g[1]);
        } else if (withH) sumH = tf.add(sumH, tf.grad((x: tf.Tensor) => f(x as tf.Tensor2D, p))(h));
        else sumP = tf.add(sumP, tf.grad((y: tf.Tensor) => f(h, y as tf.Tensor3D))(p));
      }
      return [tf.abs(tf.mul(pIn, tf.div(sumP, steps))), tf.abs(tf.mul(prepared.hlf, tf.div(sumH, steps)))];
    });
    const ap = attrP.dataSync(),
      ah = attrH.dataSync();
    attrP.dispose();
    attrH.dispose();
    const T = ap.length / (b.n * F);
    group.forEach((e, i) => {
      const kept = Math.min(e.count, maxParticles);
      for (let t = 0; t < kept; t++) {
        const fromLepton = kept - 1 - t;
        for (let k = 0; k < F; k++) {
          const v = ap[(i * T + t) * F + k];
          positions[fromLepton] += v;
          features[k] += v;
        }
      }
      for (let k = 0; k < N_HLF; k++) hlfImp[k] += ah[i * N_HLF + k];
    });
  }
  const n = Math.max(1, events.length);
  let last = positions.length;
  while (last > 1 && positions[last - 1] === 0) last--;
  return {
    positions: Array.from(positions.subarray(0, last), (v) => v / n),
    features: Object.fromEntries(
      PARTICLE_FEATURES.map((name, k) => [name, usesParticles(net.spec) ? features[k] / n : 0]),
    ),
    hlf: Object.fromEntries(HLF_FEATURES.map((name, k) => [name, usesHlf(net.spec) ? hlfImp[k] / n : 0])),
    events: events.length,
  };
}

/** metrics.json and predictions.arrow of an evaluation. */
export function writeEvaluation(run: RunDir, scored: Scored, e: Evaluation, extra: Record<string, unknown>): void {
  const curves = CLASS_NAMES.map((name, k) => ({
    class: name,
    model: rocPoints(scored.labels, scored.probs, k),
    baseline: scored.baselineProbs ? rocPoints(scored.labels, scored.baselineProbs, k) : undefined,
  }));
  run.writeMetrics({
    task: 'particles',
    events: e.events,
    metrics: flatMetrics(e.model),
    baseline: e.baseline ? flatMetrics(e.baseline) : undefined,
    model_metrics: e.model,
    baseline_metrics: e.baseline,
    paired: e.paired,
    importance: e.importance,
    roc: curves,
    ...extra,
  } as never);
  const columns: Record<
    string,
    ReturnType<typeof float32Column> | ReturnType<typeof int32Column> | ReturnType<typeof float64Column>
  > = {
    shard: int32Column(Int32Array.from(scored.keys, (k) => Math.floor(k / 4294967296))),
    row: int32Column(Int32Array.from(scored.keys, (k) => k % 4294967296)),
    label: int32Column(scored.labels),
  };
  CLASS_NAMES.forEach((name, k) => {
    columns[`p_${name}`] = float32Column(
      Float32Array.from({ length: scored.labels.length }, (_, i) => scored.probs[i * N_CLASSES + k]),
    );
  });
  if (scored.baselineProbs) {
    CLASS_NAMES.forEach((name, k) => {
      columns[`hlf_p_${name}`] = float32Column(
        Float32Array.from({ length: scored.labels.length }, (_, i) => scored.baselineProbs![i * N_CLASSES + k]),
      );
    });
  }
  run.writeBytes('predictions.arrow', arrowFileBytes(arrowTable(columns)));
}

/** The headline numbers as one flat record (what `sciml runs` / `diff` compare). */
function flatMetrics(m: ClassifierMetrics): Record<string, number> {
  const out: Record<string, number> = { accuracy: m.accuracy, log_loss: m.log_loss, auc_macro: m.auc_macro };
  for (const name of CLASS_NAMES) {
    const key = name.replace(/[^A-Za-z0-9]+/g, '');
    out[`auc_${key}`] = m.auc[name];
    out[`eff1pct_${key}`] = m.efficiency_at_1pct_fpr[name];
  }
  return out;
}
