/**
 * A multilayer perceptron for tabular regression, in tfjs (call initBackend() first): standardized
 * inputs (categoricals one-hot) and target, dense hidden layers, Adam on mini-batches, L2 weight
 * decay, early stopping on a validation set with the best epoch's weights restored. Settings follow
 * scikit-learn's MLPRegressor (alpha, batch_size 200, learning_rate_init 1e-3, tol 1e-4,
 * n_iter_no_change 10).
 */
import { tf } from '../../runtime/backend.js';
import { Random } from '../../runtime/random.js';
import { UserError } from '../../runtime/errors.js';
import type { FitOptions, Learner, LearnerFactory, Matrix, Params } from './learner.js';
import { StandardEncoder, takeRows, takeValues, type DenseRows, type StandardEncoderState } from './preprocess.js';
import { checkFitInputs, checkPredictInputs, notFitted, numberIn, positiveInt, resolveParams } from './validate.js';

const KIND = 'mlp';

/** Activations tfjs fuses into matMul. */
const ACTIVATIONS = ['relu', 'elu', 'sigmoid'] as const;
type Activation = (typeof ACTIVATIONS)[number];

interface Layer {
  kernel: tf.Variable;
  bias: tf.Variable;
}

interface MlpState {
  encoder: StandardEncoderState;
  features: number;
  yMean: number;
  yScale: number;
  sizes: number[];
  /** Kernels [fanIn x fanOut] row-major and biases, as plain numbers. */
  weights: { kernel: number[]; bias: number[] }[];
  epochs: number;
  stoppedEarly: boolean;
  /** Mean training loss and validation loss per epoch. */
  trainLoss: number[];
  validationLoss: number[];
}

/** Forward pass: [batch, inputs] -> [batch]. Fused matMul + bias + activation: fewer kernel launches per step. */
export function forward(layers: Layer[], x: tf.Tensor2D, activation: Activation): tf.Tensor1D {
  let h: tf.Tensor2D = x;
  layers.forEach((layer, i) => {
    const hidden = i < layers.length - 1;
    h = tf.fused.matMul({ a: h, b: layer.kernel as tf.Tensor2D, bias: layer.bias, activation: hidden ? activation : 'linear' }) as tf.Tensor2D;
  });
  return tf.reshape(h, [-1]) as tf.Tensor1D;
}

/** Half mean squared error plus (alpha / 2n) * sum of squared kernel weights (MLPRegressor's loss). */
export function mlpLoss(layers: Layer[], x: tf.Tensor2D, y: tf.Tensor1D, activation: Activation, alpha: number, weight?: tf.Tensor1D): tf.Scalar {
  const pred = forward(layers, x, activation);
  const sq = tf.square(tf.sub(pred, y));
  let loss = (weight ? tf.div(tf.mul(0.5, tf.sum(tf.mul(weight, sq))), tf.sum(weight)) : tf.mul(0.5, tf.mean(sq))) as tf.Scalar;
  if (alpha > 0) {
    const n = x.shape[0];
    const penalty = tf.addN(layers.map((l) => tf.sum(tf.square(l.kernel))));
    loss = tf.add(loss, tf.mul(alpha / (2 * n), penalty)) as tf.Scalar;
  }
  return loss;
}

/** Glorot-uniform kernels drawn from rng (MLPRegressor's initialization), zero biases. */
export function createLayers(sizes: number[], activation: Activation, rng: Random): Layer[] {
  const layers: Layer[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const fanIn = sizes[i];
    const fanOut = sizes[i + 1];
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const kernel = new Float32Array(fanIn * fanOut);
    for (let k = 0; k < kernel.length; k++) kernel[k] = rng.uniform(-limit, limit);
    layers.push({ kernel: tf.variable(tf.tensor2d(kernel, [fanIn, fanOut])), bias: tf.variable(tf.zeros([fanOut])) });
  }
  return layers;
}

class MlpRegressor implements Learner {
  readonly kind = KIND;
  private state?: MlpState;
  private layers?: Layer[];

  constructor(readonly params: Params) {
    positiveInt(KIND, params, 'hidden_layers', 0);
    positiveInt(KIND, params, 'hidden_units', 1);
    if (!ACTIVATIONS.includes(params.activation as Activation)) {
      throw new UserError(`${KIND}: activation: expected one of ${ACTIVATIONS.join(', ')}, got '${params.activation}'`);
    }
    numberIn(KIND, params, 'learning_rate', 0, 1, true);
    numberIn(KIND, params, 'alpha', 0, Infinity);
    positiveInt(KIND, params, 'batch_size', 1);
    positiveInt(KIND, params, 'max_epochs', 1);
    positiveInt(KIND, params, 'patience', 1);
    numberIn(KIND, params, 'validation_fraction', 0, 0.9);
    numberIn(KIND, params, 'tol', 0, Infinity);
  }

  fit(X: Matrix, y: Float64Array, options: FitOptions): void {
    checkFitInputs(KIND, X, y, options);
    const p = this.params;
    const rng = new Random(options.seed);
    const activation = p.activation as Activation;
    let valX = options.validation?.X;
    let valY = options.validation?.y;
    let w = options.sampleWeight;
    if (!valX && (p.validation_fraction as number) > 0 && X.rows >= 10) {
      const perm = rng.fork('validation').permutation(X.rows);
      const nVal = Math.max(1, Math.floor((p.validation_fraction as number) * X.rows));
      const valIdx = perm.subarray(0, nVal);
      const trainIdx = perm.subarray(nVal).slice().sort();
      valX = takeRows(X, valIdx);
      valY = takeValues(y, valIdx);
      X = takeRows(X, trainIdx);
      y = takeValues(y, trainIdx);
      if (w) w = takeValues(w, trainIdx);
    }
    const encoder = StandardEncoder.fit(X);
    const train = encoder.transform(X);
    let yMean = 0;
    for (let i = 0; i < y.length; i++) yMean += y[i];
    // (The target's scaling ignores weights: it only conditions the optimization.)
    yMean /= y.length;
    let yVar = 0;
    for (let i = 0; i < y.length; i++) yVar += (y[i] - yMean) ** 2;
    const yScale = Math.sqrt(yVar / y.length) || 1;
    const yStd = new Float32Array(y.length);
    for (let i = 0; i < y.length; i++) yStd[i] = (y[i] - yMean) / yScale;

    const sizes = [train.width, ...Array.from({ length: p.hidden_layers as number }, () => p.hidden_units as number), 1];
    this.disposeLayers();
    const layers = createLayers(sizes, activation, rng.fork('init'));
    this.layers = layers;
    const variables = layers.flatMap((l) => [l.kernel, l.bias]);
    const optimizer = tf.train.adam(p.learning_rate as number, 0.9, 0.999, 1e-8);
    const alpha = p.alpha as number;
    const batchSize = Math.min(p.batch_size as number, train.rows);
    const xAll = toFloat32(train);

    const val = valX ? encoder.transform(valX) : undefined;
    const valXT = val ? tf.tensor2d(toFloat32(val), [val.rows, val.width]) : undefined;
    const valYT = val ? tf.tensor1d(Float32Array.from(valY!, (v) => (v - yMean) / yScale)) : undefined;

    let best = Infinity;
    let bestWeights: Float32Array[] | undefined;
    let sinceBest = 0;
    let epochs = 0;
    let stoppedEarly = false;
    const trainCurve: number[] = [];
    const validationCurve: number[] = [];
    const batchX = new Float32Array(batchSize * train.width);
    const batchY = new Float32Array(batchSize);
    const batchW = w ? new Float32Array(batchSize) : undefined;
    try {
      for (let epoch = 0; epoch < (p.max_epochs as number); epoch++) {
        if (options.deadlineMs !== undefined && epoch > 0 && performance.now() > options.deadlineMs) break;
        const perm = rng.permutation(train.rows);
        let trainLoss = 0;
        for (let start = 0; start < train.rows; start += batchSize) {
          const m = Math.min(batchSize, train.rows - start);
          for (let k = 0; k < m; k++) {
            const i = perm[start + k];
            batchX.set(xAll.subarray(i * train.width, (i + 1) * train.width), k * train.width);
            batchY[k] = yStd[i];
            if (batchW) batchW[k] = w![i];
          }
          const loss = tf.tidy(() => {
            const xb = tf.tensor2d(batchX.subarray(0, m * train.width), [m, train.width]);
            const yb = tf.tensor1d(batchY.subarray(0, m));
            const wb = batchW ? tf.tensor1d(batchW.subarray(0, m)) : undefined;
            return optimizer.minimize(() => mlpLoss(layers, xb, yb, activation, alpha, wb), true, variables)!;
          });
          trainLoss += loss.dataSync()[0] * m;
          loss.dispose();
        }
        epochs = epoch + 1;
        trainCurve.push(trainLoss / train.rows);
        // Early stopping on the validation loss, else (sklearn's default) on the training loss.
        const score = valXT
          ? tf.tidy(() => mlpLoss(layers, valXT, valYT!, activation, 0).dataSync()[0])
          : trainLoss / train.rows;
        if (valXT) validationCurve.push(score);
        if (score < best - (p.tol as number)) {
          best = score;
          sinceBest = 0;
          if (valXT) bestWeights = variables.map((v) => (v.dataSync() as Float32Array).slice());
        } else if (++sinceBest >= (p.patience as number)) {
          stoppedEarly = true;
          break;
        }
      }
    } finally {
      optimizer.dispose();
      valXT?.dispose();
      valYT?.dispose();
    }
    if (bestWeights) tf.tidy(() => variables.forEach((v, i) => v.assign(tf.tensor(bestWeights![i], v.shape))));
    this.state = {
      encoder: encoder.toJSON(),
      features: X.columns.length,
      yMean,
      yScale,
      sizes,
      weights: [],
      epochs,
      stoppedEarly,
      trainLoss: trainCurve,
      validationLoss: validationCurve,
    };
  }

  get epochs(): number {
    return this.state?.epochs ?? 0;
  }

  get stoppedEarly(): boolean {
    return this.state?.stoppedEarly ?? false;
  }

  get history(): { trainLoss: number[]; validationLoss: number[] } {
    return { trainLoss: this.state?.trainLoss ?? [], validationLoss: this.state?.validationLoss ?? [] };
  }

  predict(X: Matrix): Float64Array {
    const s = this.state;
    if (!s || !this.layers) throw notFitted(KIND);
    checkPredictInputs(KIND, X, s.features);
    const dense = StandardEncoder.fromJSON(s.encoder).transform(X);
    const layers = this.layers;
    const raw = tf.tidy(() => forward(layers, tf.tensor2d(toFloat32(dense), [dense.rows, dense.width]), this.params.activation as Activation).dataSync());
    const out = new Float64Array(X.rows);
    for (let i = 0; i < out.length; i++) out[i] = raw[i] * s.yScale + s.yMean;
    return out;
  }

  toJSON() {
    const s = this.state;
    if (!s || !this.layers) throw notFitted(KIND);
    const weights = this.layers.map((l) => ({ kernel: Array.from(l.kernel.dataSync()), bias: Array.from(l.bias.dataSync()) }));
    return { kind: KIND, params: this.params, state: { ...s, weights } as unknown };
  }

  restore(state: MlpState): this {
    const sizes = state.sizes;
    if (!Array.isArray(state.weights) || state.weights.length !== sizes.length - 1) throw new UserError(`${KIND}: corrupt saved model: expected ${sizes.length - 1} layers`);
    this.layers = state.weights.map((w, i) => {
      if (w.kernel.length !== sizes[i] * sizes[i + 1] || w.bias.length !== sizes[i + 1]) throw new UserError(`${KIND}: corrupt saved model: layer ${i} has the wrong shape`);
      return { kernel: tf.variable(tf.tensor2d(w.kernel, [sizes[i], sizes[i + 1]])), bias: tf.variable(tf.tensor1d(w.bias)) };
    });
    this.state = { ...state, weights: [] };
    return this;
  }

  /** Frees the tfjs variables (the learner cannot predict afterwards). */
  dispose(): void {
    this.disposeLayers();
    this.state = undefined;
  }

  private disposeLayers(): void {
    for (const l of this.layers ?? []) {
      l.kernel.dispose();
      l.bias.dispose();
    }
    this.layers = undefined;
  }
}

function toFloat32(dense: DenseRows): Float32Array {
  return Float32Array.from(dense.data);
}

const defaults: Params = {
  hidden_layers: 2,
  hidden_units: 64,
  activation: 'relu',
  learning_rate: 1e-3,
  /** L2 penalty (MLPRegressor's alpha). */
  alpha: 1e-4,
  batch_size: 200,
  max_epochs: 200,
  /** Epochs without improvement > tol before stopping. */
  patience: 10,
  validation_fraction: 0.1,
  tol: 1e-4,
};

export const mlpFactory: LearnerFactory = {
  kind: KIND,
  defaults,
  space: {
    hidden_layers: { type: 'randint', low: 1, high: 4 },
    hidden_units: { type: 'choice', values: [32, 64, 128, 256] },
    learning_rate: { type: 'loguniform', low: 1e-4, high: 1e-2 },
    alpha: { type: 'loguniform', low: 1e-6, high: 1e-1 },
    batch_size: { type: 'choice', values: [32, 64, 128, 256] },
  },
  budgetParam: 'max_epochs',
  create: (params) => new MlpRegressor(resolveParams(KIND, defaults, params, mlpFactory.space)),
  fromJSON: (json) => new MlpRegressor(resolveParams(KIND, defaults, json.params)).restore(json.state as MlpState),
};
