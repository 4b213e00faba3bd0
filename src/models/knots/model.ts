import { tf } from '../../runtime/backend.js';
import type { Random } from '../../runtime/random.js';
import type { Activation } from './config.js';
import { Mlp, type MlpState } from './mlp.js';

export type Objective = 'regression' | 'classification';

/** Per-feature training-set mean and standard deviation (1 for a constant column). */
export interface Standardization {
  mean: number[];
  std: number[];
}

export function fitStandardization(columns: readonly Float64Array[], rows: Int32Array): Standardization {
  const mean: number[] = [];
  const std: number[] = [];
  for (const column of columns) {
    let sum = 0;
    for (const r of rows) sum += column[r];
    const m = sum / rows.length;
    let ss = 0;
    for (const r of rows) ss += (column[r] - m) ** 2;
    const s = Math.sqrt(ss / rows.length);
    mean.push(m);
    std.push(s > 1e-12 ? s : 1);
  }
  return { mean, std };
}

/** The selected rows, standardized, row-major [rows.length x columns.length]. */
export function standardizeRows(
  columns: readonly Float64Array[],
  rows: ArrayLike<number>,
  st: Standardization,
): Float32Array {
  const d = columns.length;
  const out = new Float32Array(rows.length * d);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    for (let j = 0; j < d; j++) out[i * d + j] = (columns[j][r] - st.mean[j]) / st.std[j];
  }
  return out;
}

/** Everything `model/*.json` holds: reloadable without the training data. */
export interface KnotModelState {
  format: 'sciml-knots-mlp';
  version: 1;
  features: string[];
  standardization: Standardization;
  objective: Objective;
  /** Regression: the network predicts (signature - mean) / std. */
  target?: { mean: number; std: number };
  /** Classification: the even integers the softmax ranges over. */
  classes?: number[];
  mlp: MlpState;
}

export interface KnotModelSpec {
  features: string[];
  standardization: Standardization;
  objective: Objective;
  width: number;
  depth: number;
  activation: Activation;
}

/** An MLP on standardized invariants whose output F(x) is a predicted signature. */
export class KnotModel {
  private constructor(
    readonly features: string[],
    readonly standardization: Standardization,
    readonly objective: Objective,
    readonly mlp: Mlp,
    readonly target?: { mean: number; std: number },
    readonly classes?: number[],
  ) {}

  static create(spec: KnotModelSpec, yTrain: ArrayLike<number>, rng: Random): KnotModel {
    let target: { mean: number; std: number } | undefined;
    let classes: number[] | undefined;
    if (spec.objective === 'regression') {
      let sum = 0;
      for (let i = 0; i < yTrain.length; i++) sum += yTrain[i];
      const mean = sum / yTrain.length;
      let ss = 0;
      for (let i = 0; i < yTrain.length; i++) ss += (yTrain[i] - mean) ** 2;
      target = { mean, std: Math.sqrt(ss / yTrain.length) || 1 };
    } else {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < yTrain.length; i++) {
        lo = Math.min(lo, yTrain[i]);
        hi = Math.max(hi, yTrain[i]);
      }
      classes = [];
      for (let c = lo; c <= hi; c += 2) classes.push(c);
    }
    const outputs = classes ? classes.length : 1;
    const mlp = Mlp.create(
      {
        inputs: spec.features.length,
        hidden: Array(spec.depth).fill(spec.width),
        outputs,
        activation: spec.activation,
      },
      rng,
    );
    return new KnotModel(spec.features, spec.standardization, spec.objective, mlp, target, classes);
  }

  static fromState(state: KnotModelState): KnotModel {
    return new KnotModel(
      state.features,
      state.standardization,
      state.objective,
      Mlp.fromState(state.mlp),
      state.target,
      state.classes,
    );
  }

  /** Wraps a hand-built network (tests): output 0 is read directly as the signature. */
  static fromMlp(mlp: Mlp, features: string[]): KnotModel {
    const d = features.length;
    return new KnotModel(features, { mean: Array(d).fill(0), std: Array(d).fill(1) }, 'regression', mlp, {
      mean: 0,
      std: 1,
    });
  }

  state(): KnotModelState {
    return {
      format: 'sciml-knots-mlp',
      version: 1,
      features: this.features,
      standardization: this.standardization,
      objective: this.objective,
      ...(this.target ? { target: this.target } : {}),
      ...(this.classes ? { classes: this.classes } : {}),
      mlp: this.mlp.state(),
    };
  }

  /**
   * F(x): the predicted signature, differentiable in the standardized inputs. Regression: the
   * rescaled output; classification: the expected class under the softmax.
   */
  signature(x: tf.Tensor2D): tf.Tensor1D {
    const out = this.mlp.apply(x);
    if (this.target) return tf.add(tf.mul(tf.squeeze(out, [1]), this.target.std), this.target.mean) as tf.Tensor1D;
    return tf.sum(tf.mul(tf.softmax(out), tf.tensor1d(this.classes!)), 1) as tf.Tensor1D;
  }

  /** Per-example training loss: squared error in standardized-signature units, or cross-entropy. */
  trainingLoss(x: tf.Tensor2D, y: tf.Tensor1D): tf.Tensor1D {
    const out = this.mlp.apply(x);
    if (this.target)
      return tf.square(
        tf.sub(tf.squeeze(out, [1]), tf.div(tf.sub(y, this.target.mean), this.target.std)),
      ) as tf.Tensor1D;
    return this.crossEntropy(out, y);
  }

  /** Per-example loss for gradient saliency: squared error in signature units, or cross-entropy. */
  saliencyLoss(x: tf.Tensor2D, y: tf.Tensor1D): tf.Tensor1D {
    if (this.target) return tf.square(tf.sub(this.signature(x), y)) as tf.Tensor1D;
    return this.crossEntropy(this.mlp.apply(x), y);
  }

  private crossEntropy(logits: tf.Tensor2D, y: tf.Tensor1D): tf.Tensor1D {
    const classes = this.classes!;
    const index = tf.cast(
      tf.clipByValue(tf.round(tf.div(tf.sub(y, classes[0]), 2)), 0, classes.length - 1),
      'int32',
    ) as tf.Tensor1D;
    const oneHot = tf.oneHot(index, classes.length);
    return tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1)) as tf.Tensor1D;
  }

  /** Predictions for standardized rows (row-major): the regression output, or the most likely even integer. */
  predict(x: Float32Array, batchSize = 8192): Float64Array {
    const d = this.features.length;
    const n = x.length / d;
    const out = new Float64Array(n);
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(n, start + batchSize);
      const values = tf.tidy(() => {
        const xb = tf.tensor2d(x.subarray(start * d, end * d), [end - start, d]);
        if (this.target) return this.signature(xb).dataSync();
        const best = tf.argMax(this.mlp.apply(xb), 1).dataSync();
        return Float32Array.from(best, (k) => this.classes![k]);
      });
      out.set(values, start);
    }
    return out;
  }

  dispose(): void {
    this.mlp.dispose();
  }
}
