/**
 * Every tabular learner by kind. The AutoML search builds its model zoo from this table, and
 * saved models are reloaded with LEARNERS[json.kind].fromJSON(json).
 */
import { UserError } from '../runtime/errors.js';
import type { Learner, LearnerFactory, Params } from './learner.js';
import { extraTreesFactory, randomForestFactory } from './forest.js';
import { gbmFactory } from './gbm.js';
import { knnFactory } from './knn.js';
import { mlpFactory } from './mlp.js';
import { ridgeFactory } from './ridge.js';

export const LEARNERS: Record<string, LearnerFactory> = {
  gbm: gbmFactory,
  random_forest: randomForestFactory,
  extra_trees: extraTreesFactory,
  ridge: ridgeFactory,
  knn: knnFactory,
  mlp: mlpFactory,
};

export function learnerFactory(kind: string): LearnerFactory {
  const factory = LEARNERS[kind];
  if (!factory) throw new UserError(`unknown learner '${kind}', expected one of ${Object.keys(LEARNERS).join(', ')}`);
  return factory;
}

/** Reloads a model saved with learner.toJSON(). */
export function learnerFromJSON(json: { kind: string; params: Params; state: unknown }): Learner {
  return learnerFactory(json.kind).fromJSON(json);
}
