/**
 * The MLP with a softmax head (scikit-learn's MLPClassifier settings): the same network, Adam
 * loop and early stopping as the regressor (mlp.ts), trained on the mean cross-entropy of K
 * logits (also K = 2). Call initBackend() first.
 */
import { Random } from '../runtime/random.js';
import { UserError } from '../runtime/errors.js';
import type { Matrix, Params } from './learner.js';
import { argmaxRows, classCount, softmaxRows, type ClassFitOptions, type Classifier, type ClassifierFactory } from './classifier.js';
import { tfjs } from './tfjs.js';
import { Network, type Activation, type LayerWeights } from './mlp-network.js';
import { mlpFactory, toFloat32, trainNetwork, validateMlpParams } from './mlp.js';
import { StandardEncoder, holdOutValidation, type StandardEncoderState } from './preprocess.js';
import { checkFitInputs, checkPredictInputs, notFitted, resolveParams } from './validate.js';

const KIND = 'mlp';

interface MlpClassifierState {
  encoder: StandardEncoderState;
  features: number;
  classes: number;
  sizes: number[];
  weights: LayerWeights[];
  epochs: number;
  stoppedEarly: boolean;
  trainLoss: number[];
  validationLoss: number[];
}

function oneHot(y: ArrayLike<number>, K: number): Float32Array {
  const out = new Float32Array(y.length * K);
  for (let i = 0; i < y.length; i++) out[i * K + y[i]] = 1;
  return out;
}

class MlpClassifier implements Classifier {
  readonly kind = KIND;
  private state?: MlpClassifierState;
  private network?: Network;

  constructor(readonly params: Params) {
    validateMlpParams(KIND, params);
  }

  get classes(): number {
    return this.state?.classes ?? 0;
  }

  fit(X: Matrix, y: Float64Array, options: ClassFitOptions): void {
    checkFitInputs(KIND, X, y, options);
    const K = classCount(KIND, y, options.classes);
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
    const sizes = [train.width, ...Array.from({ length: p.hidden_layers as number }, () => p.hidden_units as number), K];
    this.network?.dispose();
    const network = Network.create(sizes, p.activation as Activation, rng.fork('init'));
    this.network = network;
    const val = valX ? encoder.transform(valX) : undefined;
    const result = trainNetwork({
      network,
      params: p,
      rng,
      deadlineMs: options.deadlineMs,
      train,
      targets: oneHot(y, K),
      targetWidth: K,
      weight: w,
      validation: val ? { rows: val, targets: oneHot(valY!, K) } : undefined,
      lossAndGradient: (x, yb, alpha, weight) => network.softmaxLossAndGradient(x, yb, alpha, weight),
    });
    this.state = {
      encoder: encoder.toJSON(),
      features: X.columns.length,
      classes: K,
      sizes,
      weights: [],
      epochs: result.epochs,
      stoppedEarly: result.stoppedEarly,
      trainLoss: result.trainCurve,
      validationLoss: result.validationCurve,
    };
  }

  predictProba(X: Matrix): Float64Array {
    const s = this.state;
    const network = this.network;
    if (!s || !network) throw notFitted(KIND);
    checkPredictInputs(KIND, X, s.features);
    const dense = StandardEncoder.fromJSON(s.encoder).transform(X);
    const tf = tfjs();
    const logits = tf.tidy(() => network.outputs(tf.tensor2d(toFloat32(dense), [dense.rows, dense.width])).dataSync());
    return softmaxRows(Float64Array.from(logits), s.classes);
  }

  predict(X: Matrix): Float64Array {
    return argmaxRows(this.predictProba(X), this.classes);
  }

  toJSON() {
    const s = this.state;
    if (!s || !this.network) throw notFitted(KIND);
    return { kind: KIND, params: this.params, state: { ...s, weights: this.network.toLayers() } as unknown };
  }

  restore(state: MlpClassifierState): this {
    const sizes = state.sizes;
    if (!Array.isArray(state.weights) || state.weights.length !== sizes.length - 1) throw new UserError(`${KIND}: corrupt saved model: expected ${sizes.length - 1} layers`);
    this.network?.dispose();
    this.network = Network.fromLayers(sizes, this.params.activation as Activation, state.weights);
    this.state = { ...state, weights: [] };
    return this;
  }

  dispose(): void {
    this.network?.dispose();
    this.network = undefined;
    this.state = undefined;
  }
}

export const mlpClassifierFactory: ClassifierFactory = {
  kind: KIND,
  defaults: mlpFactory.defaults,
  space: mlpFactory.space,
  budgetParam: 'max_epochs',
  create: (params) => new MlpClassifier(resolveParams(KIND, mlpFactory.defaults, params, mlpFactory.space)),
  fromJSON: (json) => new MlpClassifier(resolveParams(KIND, mlpFactory.defaults, json.params)).restore(json.state as MlpClassifierState),
};
