/**
 * k-nearest-neighbours classification (scikit-learn's StandardScaler + KNeighborsClassifier):
 * the class probabilities are the neighbours' (inverse-distance or uniform) weighted votes; exact
 * matches, if any, share all the weight. The votes are coarse (multiples of 1/k with uniform
 * weights), so the AutoML trial calibrates them (calibration.ts).
 */
import type { Matrix, Params } from './learner.js';
import { argmaxRows, classCount, type ClassFitOptions, type Classifier, type ClassifierFactory } from './classifier.js';
import { KNearestNeighbors, knnFactory, type KnnState } from './knn.js';
import { resolveParams } from './validate.js';

class KNeighborsClassifier extends KNearestNeighbors implements Classifier {
  private K = 0;

  get classes(): number {
    return this.K;
  }

  fit(X: Matrix, y: Float64Array, options: ClassFitOptions): void {
    this.K = classCount(this.kind, y, options.classes);
    super.fit(X, y, options);
  }

  predictProba(X: Matrix): Float64Array {
    const K = this.K;
    const targets = this.targets!;
    const byDistance = this.params.weights === 'distance';
    const out = new Float64Array(X.rows * K);
    this.forEachNeighbourhood(X, (r, bestD, bestI, k) => {
      const base = r * K;
      let total = 0;
      const exact = byDistance && bestD[0] === 0;
      for (let j = 0; j < k; j++) {
        if (exact && bestD[j] !== 0) break;
        const w = byDistance && !exact ? 1 / Math.sqrt(bestD[j]) : 1;
        out[base + targets[bestI[j]]] += w;
        total += w;
      }
      for (let c = 0; c < K; c++) out[base + c] /= total;
    });
    return out;
  }

  predict(X: Matrix): Float64Array {
    return argmaxRows(this.predictProba(X), this.K);
  }

  toJSON() {
    const json = super.toJSON();
    return { ...json, state: { ...(json.state as object), classes: this.K } as unknown };
  }

  restore(state: KnnState & { classes?: number }): this {
    this.K = state.classes ?? 0;
    return super.restore(state);
  }
}

const defaults: Params = { ...knnFactory.defaults, weights: 'distance' };

export const knnClassifierFactory: ClassifierFactory = {
  kind: 'knn',
  defaults,
  space: knnFactory.space,
  sampleWeights: false,
  create: (params) => new KNeighborsClassifier(resolveParams('knn', defaults, params, knnFactory.space)),
  fromJSON: (json) =>
    new KNeighborsClassifier(resolveParams('knn', defaults, json.params)).restore(
      json.state as KnnState & { classes?: number },
    ),
};
