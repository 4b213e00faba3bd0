/**
 * The MLP's network: dense layers whose weights live in one flat tfjs variable, with the loss
 * gradient written out by hand (backpropagation through fused matMuls). On tfjs-wasm a small
 * network's step is bound by kernel launches: one variable means one Adam update instead of one
 * per tensor, and the hand-written backward pass avoids matMul's transpose flags (~4x slower there
 * than transposing first) and the tape. Tests check the gradient against finite differences.
 */
import type * as TF from '@tensorflow/tfjs';
import { tfjs } from './tfjs.js';
import type { Random } from '../runtime/random.js';

/** Activations tfjs fuses into matMul. */
export const ACTIVATIONS = ['relu', 'elu', 'sigmoid'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export interface LayerWeights {
  /** [fanIn x fanOut] row-major. */
  kernel: number[];
  bias: number[];
}

/** A loss and its gradient with respect to the network's params. */
export interface LossAndGradient {
  loss: TF.Scalar;
  gradient: TF.Tensor1D;
}

export class Network {
  readonly params: TF.Variable<TF.Rank.R1>;
  /** Where layer i's kernel and bias start in params. */
  private readonly kernelAt: number[] = [];
  private readonly biasAt: number[] = [];
  /** 1 on kernel entries, 0 on biases: the L2 penalty's support. */
  private readonly kernelMask: TF.Tensor1D;
  readonly size: number;

  private constructor(
    readonly sizes: number[],
    readonly activation: Activation,
    flat: Float32Array,
  ) {
    let at = 0;
    const mask = new Float32Array(flat.length);
    for (let i = 0; i + 1 < sizes.length; i++) {
      this.kernelAt.push(at);
      mask.fill(1, at, at + sizes[i] * sizes[i + 1]);
      at += sizes[i] * sizes[i + 1];
      this.biasAt.push(at);
      at += sizes[i + 1];
    }
    if (at !== flat.length) throw new Error(`network: expected ${at} weights, got ${flat.length}`);
    this.size = at;
    const tf = tfjs();
    this.params = tf.variable(tf.tensor1d(flat));
    this.kernelMask = tf.tensor1d(mask);
  }

  static parameterCount(sizes: number[]): number {
    let n = 0;
    for (let i = 0; i + 1 < sizes.length; i++) n += sizes[i] * sizes[i + 1] + sizes[i + 1];
    return n;
  }

  /** Glorot-uniform kernels drawn from rng (MLPRegressor's initialization), zero biases. */
  static create(sizes: number[], activation: Activation, rng: Random): Network {
    const flat = new Float32Array(Network.parameterCount(sizes));
    let at = 0;
    for (let i = 0; i + 1 < sizes.length; i++) {
      const fanIn = sizes[i];
      const fanOut = sizes[i + 1];
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let k = 0; k < fanIn * fanOut; k++) flat[at + k] = rng.uniform(-limit, limit);
      at += fanIn * fanOut + fanOut;
    }
    return new Network(sizes, activation, flat);
  }

  static fromLayers(sizes: number[], activation: Activation, layers: LayerWeights[]): Network {
    const flat = new Float32Array(Network.parameterCount(sizes));
    let at = 0;
    layers.forEach((layer) => {
      flat.set(layer.kernel, at);
      at += layer.kernel.length;
      flat.set(layer.bias, at);
      at += layer.bias.length;
    });
    return new Network(sizes, activation, flat);
  }

  toLayers(): LayerWeights[] {
    const flat = this.params.dataSync();
    return this.kernelAt.map((k, i) => ({
      kernel: Array.from(flat.subarray(k, k + this.sizes[i] * this.sizes[i + 1])),
      bias: Array.from(flat.subarray(this.biasAt[i], this.biasAt[i] + this.sizes[i + 1])),
    }));
  }

  private weights(i: number): [TF.Tensor2D, TF.Tensor1D] {
    const tf = tfjs();
    const fanIn = this.sizes[i];
    const fanOut = this.sizes[i + 1];
    const kernel = tf.reshape(tf.slice(this.params, this.kernelAt[i], fanIn * fanOut), [fanIn, fanOut]) as TF.Tensor2D;
    const bias = tf.slice(this.params, this.biasAt[i], fanOut) as TF.Tensor1D;
    return [kernel, bias];
  }

  /** Layer outputs h_0 = x, h_1, ..., h_L (the last linear, shape [batch, 1]). */
  private activations(x: TF.Tensor2D): { outputs: TF.Tensor2D[]; kernels: TF.Tensor2D[] } {
    const tf = tfjs();
    const outputs = [x];
    const kernels: TF.Tensor2D[] = [];
    const layers = this.sizes.length - 1;
    for (let i = 0; i < layers; i++) {
      const [kernel, bias] = this.weights(i);
      kernels.push(kernel);
      const activation = i < layers - 1 ? this.activation : 'linear';
      outputs.push(tf.fused.matMul({ a: outputs[i], b: kernel, bias, activation }) as TF.Tensor2D);
    }
    return { outputs, kernels };
  }

  /** Predictions [batch] (call inside tf.tidy). */
  predict(x: TF.Tensor2D): TF.Tensor1D {
    return tfjs().reshape(this.outputs(x), [-1]) as TF.Tensor1D;
  }

  /** The last layer's (linear) outputs [batch, outputs] (call inside tf.tidy). */
  outputs(x: TF.Tensor2D): TF.Tensor2D {
    const { outputs } = this.activations(x);
    return outputs[outputs.length - 1];
  }

  /**
   * The loss (half mean squared error, weighted if `weight`, plus (alpha / 2n) * sum of squared
   * kernel weights, n = batch rows: MLPRegressor's loss) and its gradient with respect to params.
   * Call inside tf.tidy.
   */
  lossAndGradient(x: TF.Tensor2D, y: TF.Tensor1D, alpha: number, weight?: TF.Tensor1D): LossAndGradient {
    return this.headLossAndGradient(x, alpha, (last, n) => {
      const tf = tfjs();
      const pred = tf.reshape(last, [-1]);
      const diff = tf.sub(pred, y);
      let loss: TF.Scalar;
      let dPred: TF.Tensor;
      if (weight) {
        const total = tf.sum(weight);
        const wd = tf.div(tf.mul(weight, diff), total);
        loss = tf.mul(0.5, tf.sum(tf.mul(wd, diff)));
        dPred = wd;
      } else {
        loss = tf.mul(0.5, tf.mean(tf.square(diff)));
        dPred = tf.div(diff, n);
      }
      return { loss, dz: tf.reshape(dPred, [n, 1]) as TF.Tensor2D };
    });
  }

  /**
   * The softmax head's loss: mean cross-entropy of the last layer's K logits against one-hot rows
   * y [batch, K] (weighted if `weight`), plus the same L2 term (MLPClassifier's loss), and its
   * gradient. Call inside tf.tidy.
   */
  softmaxLossAndGradient(x: TF.Tensor2D, y: TF.Tensor2D, alpha: number, weight?: TF.Tensor1D): LossAndGradient {
    return this.headLossAndGradient(x, alpha, (logits, n) => {
      const tf = tfjs();
      const logp = tf.logSoftmax(logits);
      const rowLoss = tf.neg(tf.sum(tf.mul(y, logp), 1));
      const diff = tf.sub(tf.exp(logp), y);
      let loss: TF.Scalar;
      let dz: TF.Tensor2D;
      if (weight) {
        const total = tf.sum(weight);
        loss = tf.div(tf.sum(tf.mul(weight, rowLoss)), total) as TF.Scalar;
        dz = tf.div(tf.mul(diff, tf.reshape(weight, [n, 1])), total) as TF.Tensor2D;
      } else {
        loss = tf.mean(rowLoss) as TF.Scalar;
        dz = tf.div(diff, n) as TF.Tensor2D;
      }
      return { loss, dz };
    });
  }

  /**
   * The loss `head` puts on the last layer's outputs for x (n rows), with dz = d loss / d outputs,
   * plus the L2 term, and the gradient backpropagated from dz.
   */
  private headLossAndGradient(
    x: TF.Tensor2D,
    alpha: number,
    head: (last: TF.Tensor2D, n: number) => { loss: TF.Scalar; dz: TF.Tensor2D },
  ): LossAndGradient {
    const n = x.shape[0];
    const { outputs, kernels } = this.activations(x);
    const { loss, dz } = head(outputs[outputs.length - 1], n);
    return this.backward(outputs, kernels, dz, loss, alpha, n);
  }

  /** Backpropagates dL/d(last layer output) `dz`, adding the L2 term to loss and gradient. */
  private backward(
    outputs: TF.Tensor2D[],
    kernels: TF.Tensor2D[],
    dz: TF.Tensor2D,
    loss: TF.Scalar,
    alpha: number,
    n: number,
  ): LossAndGradient {
    const tf = tfjs();
    const layers = kernels.length;
    const pieces: TF.Tensor1D[] = new Array(2 * layers);
    for (let i = layers - 1; i >= 0; i--) {
      pieces[2 * i] = tf.reshape(tf.matMul(tf.transpose(outputs[i]), dz), [-1]) as TF.Tensor1D;
      pieces[2 * i + 1] = tf.sum(dz, 0) as TF.Tensor1D;
      if (i > 0) dz = activationGrad(tf.matMul(dz, tf.transpose(kernels[i])), outputs[i], this.activation);
    }
    let gradient = tf.concat(pieces) as TF.Tensor1D;
    if (alpha > 0) {
      const masked = tf.mul(this.params, this.kernelMask);
      loss = tf.add(loss, tf.mul(alpha / (2 * n), tf.sum(tf.square(masked))));
      gradient = tf.add(gradient, tf.mul(masked, alpha / n));
    }
    return { loss, gradient };
  }

  dispose(): void {
    this.params.dispose();
    this.kernelMask.dispose();
  }
}

/** dL/dz from dL/d(out), in terms of the layer's output out = act(z). */
function activationGrad(dOut: TF.Tensor2D, out: TF.Tensor2D, activation: Activation): TF.Tensor2D {
  const tf = tfjs();
  switch (activation) {
    case 'relu':
      return tf.mul(dOut, tf.step(out));
    case 'elu':
      // elu'(z) = 1 for z > 0, else exp(z) = out + 1.
      return tf.mul(dOut, tf.maximum(tf.step(out), tf.add(tf.minimum(out, 0), 1)));
    case 'sigmoid':
      return tf.mul(dOut, tf.mul(out, tf.sub(1, out)));
  }
}
