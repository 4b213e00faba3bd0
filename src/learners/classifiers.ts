/**
 * Every tabular classifier by kind (the classification counterpart of registry.ts). The kinds
 * share the regressors' names where both exist; `logistic` takes ridge's place.
 */
import type { ClassifierFactory } from './classifier.js';
import { extraTreesClassifierFactory, randomForestClassifierFactory } from './forest-classifier.js';
import { gbmClassifierFactory } from './gbm-classifier.js';
import { knnClassifierFactory } from './knn-classifier.js';
import { logisticFactory } from './logistic.js';
import { mlpClassifierFactory } from './mlp-classifier.js';

export const CLASSIFIERS: Record<string, ClassifierFactory> = {
  gbm: gbmClassifierFactory,
  random_forest: randomForestClassifierFactory,
  extra_trees: extraTreesClassifierFactory,
  logistic: logisticFactory,
  knn: knnClassifierFactory,
  mlp: mlpClassifierFactory,
};
