/**
 * From the config to the search's inputs: the shared table preparation (src/tabular/prepare.ts),
 * then the problem, the folds and the class weights.
 */
import type { DataTable } from '../../data/table.js';
import { UserError } from '../../runtime/errors.js';
import { prepareTable, targetName, type Prepared } from '../../tabular/prepare.js';
import { kFoldAssignment, stratifiedKFoldAssignment } from '../../tabular/split.js';
import { inferProblem, type Problem } from '../../tabular/problem.js';
import type { AutomlConfig } from './config.js';

function minimumTrainingRows(folds: number): number {
  return Math.max(10, 2 * folds);
}

/** The problem of a config's table (the same for the training run and `sciml evaluate`). */
function problemOf(config: AutomlConfig, table: DataTable, target: string, configFile: string | undefined): Problem {
  return inferProblem(table, target, config.data.problem_type, `${configFile ?? '(automl command line)'}: data`);
}

export function prepare(
  config: AutomlConfig,
  inputs: { table: DataTable; test: DataTable | null; dataPath: string; testPath: string | null },
  configFile?: string,
): Prepared {
  const problem = problemOf(config, inputs.table, targetName(config, inputs.table), configFile);
  const prepared = prepareTable(
    config,
    inputs,
    { minRows: minimumTrainingRows(config.search.folds), why: `${config.search.folds}-fold bagging` },
    problem,
  );
  const { y } = prepared;
  const classes = problem.classes;
  const notes = classes ? checkFoldPlan(y, classes, config.search.folds, inputs.table.source) : [];
  return {
    ...prepared,
    folds: classes
      ? stratifiedKFoldAssignment(y, config.search.folds, config.seed)
      : kFoldAssignment(y.length, config.search.folds, config.seed),
    sampleWeight: classes && config.search.class_weight === 'balanced' ? balancedWeights(y, classes.length) : undefined,
    notes,
  };
}

/**
 * Stratified k-fold needs every class in the training rows at least twice, and room in each fold
 * for every class; a class rarer than the folds is legal but missing from some folds' validation
 * rows (a note).
 */
export function checkFoldPlan(y: Float64Array, classes: string[], k: number, source: string): string[] {
  const counts = new Array<number>(classes.length).fill(0);
  for (const v of y) counts[v]++;
  const absent = classes.filter((_, c) => counts[c] === 0);
  if (absent.length)
    throw new UserError(
      `${source}: class${absent.length > 1 ? 'es' : ''} ${absent.map((c) => `'${c}'`).join(', ')} of the target ha${absent.length > 1 ? 've' : 's'} no training rows (all in the holdout): expected every class in the training rows`,
    );
  const single = classes.filter((_, c) => counts[c] === 1);
  if (single.length)
    throw new UserError(
      `${source}: class${single.length > 1 ? 'es' : ''} ${single.map((c) => `'${c}'`).join(', ')} of the target ` +
        `ha${single.length > 1 ? 've' : 's'} a single training row: expected at least 2 rows per class for stratified ` +
        `${k}-fold bagging (merge or drop the rare classes)`,
    );
  const perFold = Math.floor(y.length / k);
  if (classes.length > perFold)
    throw new UserError(
      `${source}: ${classes.length} classes but only ${perFold} training rows per fold (${y.length} rows, ${k} folds): expected at least one row per class per fold; use fewer folds (search.folds) or more rows`,
    );
  return classes
    .map((c, j) => [c, counts[j]] as const)
    .filter(([, n]) => n < k)
    .map(
      ([c, n]) =>
        `class '${c}' has ${n} training rows, fewer than the ${k} folds: it is absent from the validation rows of ${k - n} fold(s)`,
    );
}

/** class_weight 'balanced' (scikit-learn): n / (K * count of the row's class). */
export function balancedWeights(y: Float64Array, K: number): Float64Array {
  const counts = new Float64Array(K);
  for (const v of y) counts[v]++;
  return y.map((v) => y.length / (K * counts[v]));
}
