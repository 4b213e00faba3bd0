/**
 * A multilayer perceptron for tabular regression, in tfjs (call initBackend() first; tfjs itself
 * loads on first use, see tfjs.ts): standardized inputs (categoricals one-hot) and target, dense
 * hidden layers, Adam on mini-batches, L2 weight decay, early stopping on a validation set with
 * the best epoch's weights restored. Settings follow scikit-learn's MLPRegressor (Glorot init,
 * alpha, batch_size 200, learning_rate_init 1e-3, tol 1e-4, n_iter_no_change 10). The network
 * itself is in mlp-network.ts.
 */
import { Random } from '../runtime/random.js';
import { UserError } from '../runtime/errors.js';
import type * as TF from '@tensorflow/tfjs';
import type { FitOptions, Learner, LearnerFactory, Matrix, Params } from './learner.js';
import { tfjs } from './tfjs.js';
import { ACTIVATIONS, Network, type Activation, type LayerWeights, type LossAndGradient } from './mlp-network.js';
import { StandardEncoder, holdOutValidation, type DenseRows, type StandardEncoderState } from './preprocess.js';
import { checkFitInputs, checkPredictInputs, notFitted, numberIn, positiveInt, resolveParams } from './validate.js';

const KIND = 'mlp';

/** What both MLPs (regressor and classifier) save besides their head's own fields. */
export interface MlpCommonState {
  encoder: StandardEncoderState;
  features: number;
  sizes: number[];
  weights: LayerWeights[];
  epochs: number;
  stoppedEarly: boolean;
  /** Mean training loss (with the L2 term) and validation loss per epoch. */
  trainLoss: number[];
  validationLoss: number[];
}

interface MlpState extends MlpCommonState {
  /** The target's standardization: the network predicts (y - yMean) / yScale. */
  yMean: number;
  yScale: number;
}

/** What a learner keeps of a fit: its inputs' encoding, and the network's shape and training curves (weights are filled in on save). */
interface FittedNetwork {
  inputs: Pick<MlpCommonState, 'encoder' | 'features'>;
  network: Omit<MlpCommonState, 'encoder' | 'features'>;
}

/**
 * The MLP learners' shared part: the fit (validation split, standardized inputs, a network of
 * `outputs` linear outputs trained by `trainNetwork`), the forward pass, save and restore.
 */
export abstract class MlpModel<S extends MlpCommonState> {
  readonly kind = KIND;
  protected state?: S;
  protected network?: Network;

  constructor(readonly params: Params) {
    validateMlpParams(KIND, params);
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

  /**
   * Trains a fresh network on X (less a validation fraction unless options give a validation set).
   * `targets` maps the training and validation targets to the network's row-major outputs.
   */
  protected fitNetwork(
    X: Matrix,
    y: Float64Array,
    options: FitOptions,
    outputs: number,
    targets: (y: Float64Array, valY: Float64Array | undefined) => { train: Float32Array; validation?: Float32Array },
    lossAndGradient: (network: Network) => NetworkTraining['lossAndGradient'],
  ): FittedNetwork {
    const p = this.params;
    const rng = new Random(options.seed);
    let valX = options.validation?.X;
    let valY = options.validation?.y;
    let w = options.sampleWeight;
    if (!valX && (p.validation_fraction as number) > 0 && X.rows >= 10) {
      ({ X, y, weight: w, valX, valY } = holdOutValidation(X, y, w, p.validation_fraction as number, rng));
    }
    const encoder = StandardEncoder.fit(X);
    const train = encoder.transform(X);
    const t = targets(y, valY);
    const sizes = [
      train.width,
      ...Array.from({ length: p.hidden_layers as number }, () => p.hidden_units as number),
      outputs,
    ];
    this.disposeNetwork();
    const network = Network.create(sizes, p.activation as Activation, rng.fork('init'));
    this.network = network;
    const val = valX ? encoder.transform(valX) : undefined;
    const result = trainNetwork({
      network,
      params: p,
      rng,
      deadlineMs: options.deadlineMs,
      train,
      targets: t.train,
      targetWidth: outputs,
      weight: w,
      validation: val ? { rows: val, targets: t.validation! } : undefined,
      lossAndGradient: lossAndGradient(network),
    });
    return {
      inputs: { encoder: encoder.toJSON(), features: X.columns.length },
      network: {
        sizes,
        weights: [],
        epochs: result.epochs,
        stoppedEarly: result.stoppedEarly,
        trainLoss: result.trainCurve,
        validationLoss: result.validationCurve,
      },
    };
  }

  /** The network's linear outputs on X, row-major. */
  protected forward(X: Matrix): { state: S; outputs: Float32Array } {
    const s = this.state;
    const network = this.network;
    if (!s || !network) throw notFitted(KIND);
    checkPredictInputs(KIND, X, s.features);
    const dense = StandardEncoder.fromJSON(s.encoder).transform(X);
    const tf = tfjs();
    const outputs = tf.tidy(
      () => network.outputs(tf.tensor2d(toFloat32(dense), [dense.rows, dense.width])).dataSync() as Float32Array,
    );
    return { state: s, outputs };
  }

  toJSON() {
    const s = this.state;
    if (!s || !this.network) throw notFitted(KIND);
    const weights = this.network.toLayers();
    return { kind: KIND, params: this.params, state: { ...s, weights } as unknown };
  }

  restore(state: S): this {
    const sizes = state.sizes;
    if (!Array.isArray(state.weights) || state.weights.length !== sizes.length - 1)
      throw new UserError(`${KIND}: corrupt saved model: expected ${sizes.length - 1} layers`);
    state.weights.forEach((w, i) => {
      if (w.kernel.length !== sizes[i] * sizes[i + 1] || w.bias.length !== sizes[i + 1])
        throw new UserError(`${KIND}: corrupt saved model: layer ${i} has the wrong shape`);
    });
    this.disposeNetwork();
    this.network = Network.fromLayers(sizes, this.params.activation as Activation, state.weights);
    this.state = { ...state, weights: [] };
    return this;
  }

  /** Frees the tfjs variables (the learner cannot predict afterwards). */
  dispose(): void {
    this.disposeNetwork();
    this.state = undefined;
  }

  private disposeNetwork(): void {
    this.network?.dispose();
    this.network = undefined;
  }
}

class MlpRegressor extends MlpModel<MlpState> implements Learner {
  fit(X: Matrix, y: Float64Array, options: FitOptions): void {
    checkFitInputs(KIND, X, y, options);
    let yMean = 0;
    let yScale = 1;
    const fitted = this.fitNetwork(
      X,
      y,
      options,
      1,
      (y, valY) => {
        yMean = 0;
        for (let i = 0; i < y.length; i++) yMean += y[i];
        // (The target's scaling ignores weights: it only conditions the optimization.)
        yMean /= y.length;
        let yVar = 0;
        for (let i = 0; i < y.length; i++) yVar += (y[i] - yMean) ** 2;
        yScale = Math.sqrt(yVar / y.length) || 1;
        const train = new Float32Array(y.length);
        for (let i = 0; i < y.length; i++) train[i] = (y[i] - yMean) / yScale;
        return { train, validation: valY ? Float32Array.from(valY, (v) => (v - yMean) / yScale) : undefined };
      },
      (network) => (x, y, alpha, weight) =>
        network.lossAndGradient(x, tfjs().reshape(y, [-1]) as TF.Tensor1D, alpha, weight),
    );
    this.state = { ...fitted.inputs, yMean, yScale, ...fitted.network };
  }

  predict(X: Matrix): Float64Array {
    const { state: s, outputs: raw } = this.forward(X);
    const out = new Float64Array(X.rows);
    for (let i = 0; i < out.length; i++) out[i] = raw[i] * s.yScale + s.yMean;
    return out;
  }
}

function validateMlpParams(kind: string, params: Params): void {
  positiveInt(kind, params, 'hidden_layers', 0);
  positiveInt(kind, params, 'hidden_units', 1);
  if (!ACTIVATIONS.includes(params.activation as Activation)) {
    throw new UserError(`${kind}: activation: expected one of ${ACTIVATIONS.join(', ')}, got '${params.activation}'`);
  }
  numberIn(kind, params, 'learning_rate', 0, 1, true);
  numberIn(kind, params, 'alpha', 0, Infinity);
  positiveInt(kind, params, 'batch_size', 1);
  positiveInt(kind, params, 'max_epochs', 1);
  positiveInt(kind, params, 'patience', 1);
  numberIn(kind, params, 'validation_fraction', 0, 0.9);
  numberIn(kind, params, 'tol', 0, Infinity);
}

function toFloat32(dense: DenseRows): Float32Array {
  return Float32Array.from(dense.data);
}

export interface NetworkTraining {
  network: Network;
  params: Params;
  rng: Random;
  deadlineMs?: number;
  train: DenseRows;
  /** Row-major targets, targetWidth per row. */
  targets: Float32Array;
  targetWidth: number;
  weight?: Float64Array;
  validation?: { rows: DenseRows; targets: Float32Array };
  /** Loss and gradient on a batch: x [m, width], y [m, targetWidth]. */
  lossAndGradient(x: TF.Tensor2D, y: TF.Tensor2D, alpha: number, weight?: TF.Tensor1D): LossAndGradient;
}

/**
 * Adam on shuffled mini-batches with early stopping on the validation loss (else, as scikit-learn,
 * on the training loss); the best epoch's weights are restored. Shared by the regressor and the
 * classifier.
 */
function trainNetwork(t: NetworkTraining): {
  epochs: number;
  stoppedEarly: boolean;
  trainCurve: number[];
  validationCurve: number[];
} {
  const tf = tfjs();
  const { network, params: p, rng, train, targets, targetWidth: tw, weight: w } = t;
  const optimizer = tf.train.adam(p.learning_rate as number, 0.9, 0.999, 1e-8);
  const alpha = p.alpha as number;
  const batchSize = Math.min(p.batch_size as number, train.rows);
  const xAll = toFloat32(train);
  const val = t.validation;
  const valXT = val ? tf.tensor2d(toFloat32(val.rows), [val.rows.rows, val.rows.width]) : undefined;
  const valYT = val ? tf.tensor2d(val.targets, [val.rows.rows, tw]) : undefined;
  let best = Infinity;
  let bestWeights: Float32Array | undefined;
  let sinceBest = 0;
  let epochs = 0;
  let stoppedEarly = false;
  const trainCurve: number[] = [];
  const validationCurve: number[] = [];
  const batchX = new Float32Array(batchSize * train.width);
  const batchY = new Float32Array(batchSize * tw);
  const batchW = w ? new Float32Array(batchSize) : undefined;
  try {
    for (let epoch = 0; epoch < (p.max_epochs as number); epoch++) {
      if (t.deadlineMs !== undefined && epoch > 0 && performance.now() > t.deadlineMs) break;
      const perm = rng.permutation(train.rows);
      let trainLoss = 0;
      for (let start = 0; start < train.rows; start += batchSize) {
        const m = Math.min(batchSize, train.rows - start);
        for (let k = 0; k < m; k++) {
          const i = perm[start + k];
          batchX.set(xAll.subarray(i * train.width, (i + 1) * train.width), k * train.width);
          batchY.set(targets.subarray(i * tw, (i + 1) * tw), k * tw);
          if (batchW) batchW[k] = w![i];
        }
        const loss = tf.tidy(() => {
          const xb = tf.tensor2d(batchX.subarray(0, m * train.width), [m, train.width]);
          const yb = tf.tensor2d(batchY.subarray(0, m * tw), [m, tw]);
          const wb = batchW ? tf.tensor1d(batchW.subarray(0, m)) : undefined;
          const { loss, gradient } = t.lossAndGradient(xb, yb, alpha, wb);
          optimizer.applyGradients([{ name: network.params.name, tensor: gradient }]);
          return loss;
        });
        trainLoss += loss.dataSync()[0] * m;
        loss.dispose();
      }
      epochs = epoch + 1;
      trainCurve.push(trainLoss / train.rows);
      const score = valXT
        ? tf.tidy(() => t.lossAndGradient(valXT, valYT!, 0).loss.dataSync()[0])
        : trainLoss / train.rows;
      if (valXT) validationCurve.push(score);
      if (score < best - (p.tol as number)) {
        best = score;
        sinceBest = 0;
        if (valXT) bestWeights = (network.params.dataSync() as Float32Array).slice();
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
  if (bestWeights) tf.tidy(() => network.params.assign(tf.tensor1d(bestWeights!)));
  return { epochs, stoppedEarly, trainCurve, validationCurve };
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
