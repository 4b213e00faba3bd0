/**
 * The MLP with a softmax head (scikit-learn's MLPClassifier settings): the same network, Adam
 * loop and early stopping as the regressor (mlp.ts), trained on the mean cross-entropy of K
 * logits (also K = 2). Call initBackend() first.
 */
import type { Matrix } from './learner.js';
import {
  argmaxRows,
  classCount,
  softmaxRows,
  type ClassFitOptions,
  type Classifier,
  type ClassifierFactory,
} from './classifier.js';
import { MlpModel, mlpFactory, type MlpCommonState } from './mlp.js';
import { checkFitInputs, resolveParams } from './validate.js';

const KIND = 'mlp';

interface MlpClassifierState extends MlpCommonState {
  classes: number;
}

function oneHot(y: ArrayLike<number>, K: number): Float32Array {
  const out = new Float32Array(y.length * K);
  for (let i = 0; i < y.length; i++) out[i * K + y[i]] = 1;
  return out;
}

class MlpClassifier extends MlpModel<MlpClassifierState> implements Classifier {
  get classes(): number {
    return this.state?.classes ?? 0;
  }

  fit(X: Matrix, y: Float64Array, options: ClassFitOptions): void {
    checkFitInputs(KIND, X, y, options);
    const K = classCount(KIND, y, options.classes);
    const fitted = this.fitNetwork(
      X,
      y,
      options,
      K,
      (y, valY) => ({ train: oneHot(y, K), validation: valY ? oneHot(valY, K) : undefined }),
      (network) => (x, yb, alpha, weight) => network.softmaxLossAndGradient(x, yb, alpha, weight),
    );
    this.state = { ...fitted.inputs, classes: K, ...fitted.network };
  }

  predictProba(X: Matrix): Float64Array {
    const { state: s, outputs: logits } = this.forward(X);
    return softmaxRows(Float64Array.from(logits), s.classes);
  }

  predict(X: Matrix): Float64Array {
    return argmaxRows(this.predictProba(X), this.classes);
  }
}

export const mlpClassifierFactory: ClassifierFactory = {
  kind: KIND,
  defaults: mlpFactory.defaults,
  space: mlpFactory.space,
  budgetParam: 'max_epochs',
  create: (params) => new MlpClassifier(resolveParams(KIND, mlpFactory.defaults, params, mlpFactory.space)),
  fromJSON: (json) =>
    new MlpClassifier(resolveParams(KIND, mlpFactory.defaults, json.params)).restore(json.state as MlpClassifierState),
};
