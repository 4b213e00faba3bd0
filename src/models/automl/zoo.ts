/**
 * The model zoo: every learner of the tabular registry with its declared search space, and the
 * mapping from a search trial (config + budget fraction) to the learner's parameters.
 */
import { UserError } from '../../runtime/errors.js';
import { choice, qrandint, type BranchedSpace, type Config, type Domain } from '../../search/space.js';
import type { LearnerFactory, Params } from '../../learners/learner.js';
import { LEARNERS } from '../../learners/registry.js';
import { CLASSIFIERS } from '../../learners/classifiers.js';

export const LEARNER_KEY = 'learner';

/** Learners searched by default, in this order of preference (unknown kinds are skipped). */
const SLOW_BY_DEFAULT = new Set(['mlp']);

/** The learners of a problem: regressors, or (classification) classifiers. */
export function registryFor(classification: boolean): Record<string, LearnerFactory> {
  return classification ? CLASSIFIERS : LEARNERS;
}

export function zooKinds(
  requested: string[],
  configFile: string,
  registry: Record<string, LearnerFactory> = LEARNERS,
): string[] {
  const available = Object.keys(registry);
  if (requested.length === 0) return available.filter((k) => !SLOW_BY_DEFAULT.has(k) || available.length === 1);
  for (const kind of requested) {
    if (!registry[kind])
      throw new UserError(`${configFile}: search.learners: expected names from ${available.join(', ')}, got '${kind}'`);
  }
  return [...requested];
}

/** Full-budget ranges for learners whose declared space leaves their budget parameter fixed. */
const BUDGET_RANGES: Record<string, Domain> = {
  gbm: qrandint(100, 800, 50),
  random_forest: qrandint(60, 200, 20),
  extra_trees: qrandint(60, 200, 20),
};

export function zooSpace(
  kinds: string[],
  options: { nonNegativeTarget: boolean },
  registry: Record<string, LearnerFactory> = LEARNERS,
): BranchedSpace {
  const branches: BranchedSpace['branches'] = {};
  for (const kind of kinds) {
    const factory = registry[kind];
    const space = { ...factory.space };
    const bp = factory.budgetParam;
    if (bp && !(bp in space) && BUDGET_RANGES[kind]) space[bp] = BUDGET_RANGES[kind];
    // Counts and other non-negative targets: a Poisson loss is often the better fit for boosting.
    if (kind === 'gbm' && options.nonNegativeTarget && !('loss' in space) && factory.defaults.loss !== undefined)
      space.loss = choice(['squared_error', 'poisson']);
    branches[kind] = space;
  }
  return {
    branchKey: LEARNER_KEY,
    branches,
    weights: Object.fromEntries(kinds.map((k) => [k, BRANCH_WEIGHTS[k] ?? 1])),
  };
}

/** Boosting usually wins on tables: it gets more of the samples. */
const BRANCH_WEIGHTS: Record<string, number> = {
  gbm: 4,
  random_forest: 1,
  extra_trees: 1,
  ridge: 0.3,
  logistic: 0.3,
  knn: 0.3,
  mlp: 0.5,
};

/**
 * Hand-picked configurations tried right after the defaults (a small "portfolio", as AutoGluon
 * does): slower, stronger boosting, and a regularized extra-trees forest for ensemble diversity.
 * Only parameters the learner declares are kept.
 */
export function portfolio(
  kinds: string[],
  options: { nonNegativeTarget: boolean },
  registry: Record<string, LearnerFactory> = LEARNERS,
): Config[] {
  const classification = registry === CLASSIFIERS;
  const picks: Config[] = classification
    ? [
        // Classification, evaluated before any sampling: extra trees first (cheap, and strong: on letter,
        // 5 x 200 calibrated bagged extra trees alone reach 0.974 accuracy), then boosting, the linear
        // model, a forest, stronger boosting, k-NN, a second extra-trees flavour.
        { [LEARNER_KEY]: 'extra_trees', n_estimators: 100, max_features: 'sqrt', criterion: 'gini' },
        { [LEARNER_KEY]: 'gbm', ...CLASSIFIERS.gbm.defaults },
        { [LEARNER_KEY]: 'logistic', ...CLASSIFIERS.logistic.defaults },
        { [LEARNER_KEY]: 'random_forest', n_estimators: 100, max_features: 'sqrt', criterion: 'entropy' },
        {
          [LEARNER_KEY]: 'gbm',
          learning_rate: 0.1,
          max_iter: 300,
          max_leaf_nodes: 31,
          min_samples_leaf: 10,
          l2_regularization: 0.1,
          colsample: 0.7,
        },
        { [LEARNER_KEY]: 'knn', ...CLASSIFIERS.knn.defaults },
        { [LEARNER_KEY]: 'extra_trees', n_estimators: 200, max_features: '0.35', criterion: 'entropy' },
      ]
    : [
        {
          [LEARNER_KEY]: 'gbm',
          learning_rate: 0.05,
          max_iter: 500,
          max_leaf_nodes: 31,
          min_samples_leaf: 20,
          loss: options.nonNegativeTarget ? 'poisson' : 'squared_error',
        },
        {
          [LEARNER_KEY]: 'gbm',
          learning_rate: 0.05,
          max_iter: 400,
          max_leaf_nodes: 63,
          min_samples_leaf: 10,
          l2_regularization: 1,
        },
        { [LEARNER_KEY]: 'extra_trees', n_estimators: 100, max_features: 0.7, min_samples_leaf: 2 },
      ];
  return picks
    .filter((c) => kinds.includes(String(c[LEARNER_KEY])))
    .map((c) => {
      const defaults = registry[String(c[LEARNER_KEY])].defaults;
      const out: Config = { [LEARNER_KEY]: c[LEARNER_KEY] };
      for (const [k, v] of Object.entries(c)) if (k in defaults && typeof defaults[k] === typeof v) out[k] = v;
      return out;
    });
}

/** Learners whose defaults are evaluated up front (cheap ones, and the usual winner); classification's are in its portfolio. */
export function initialKinds(kinds: string[]): string[] {
  return kinds.filter((k) => k === 'gbm' || k === 'ridge' || k === 'logistic' || kinds.length === 1);
}

/** The library defaults of a learner as a trial config. */
export function defaultConfig(kind: string, registry: Record<string, LearnerFactory> = LEARNERS): Config {
  return { [LEARNER_KEY]: kind, ...registry[kind].defaults };
}

export interface ResolvedTrialParams {
  kind: string;
  params: Params;
  /** Fraction of each fold's training rows to use (for learners without a budget parameter). */
  dataFraction: number;
}

/** Splits a trial config into learner and parameters, scaling the budget parameter (or the data). */
export function resolveTrialParams(config: Config, budget: number, factory?: LearnerFactory): ResolvedTrialParams {
  const kind = String(config[LEARNER_KEY]);
  const f = factory ?? LEARNERS[kind];
  if (!f) throw new Error(`unknown learner '${kind}'`);
  const params: Params = {};
  for (const [key, value] of Object.entries(config)) if (key !== LEARNER_KEY) params[key] = value;
  if (budget >= 1) return { kind, params, dataFraction: 1 };
  const bp = f.budgetParam;
  if (bp) {
    const full = Number(params[bp] ?? f.defaults[bp]);
    params[bp] = Math.max(1, Math.round(full * budget));
    return { kind, params, dataFraction: 1 };
  }
  return { kind, params, dataFraction: budget };
}
