/**
 * The ensembles over the kept trials and the choice of the final model: every single model whose
 * fold models were kept, greedy ensemble selection, and ridge stacks (with and without the original
 * features), all scored on the same folds.
 */
import type { Learner } from '../../learners/learner.js';
import { LEARNERS } from '../../learners/registry.js';
import type { AutomlConfig } from './config.js';
import { clampBelow, greedySelection, stack, stackMatrix, weightedSum } from './ensemble.js';
import { combine, type FinalModel } from './model.js';
import type { Prepared } from '../../tabular/prepare.js';
import type { TrialRecord } from './search-run.js';
import { LEARNER_KEY } from './zoo.js';
import { logLoss } from '../../metrics/classification.js';
import { stackClassifiers } from './class-stack.js';

export interface Candidate {
  record: TrialRecord;
  name: string;
  oof: Float64Array;
  test: Float64Array;
}

export interface EnsembleChoice {
  name: string;
  cvLoss: number;
  oof: Float64Array;
  test: Float64Array;
  final: FinalModel;
  /** Indices into the candidate list of the members this model needs. */
  members: number[];
  stacker?: Learner;
  fitSeconds: number;
  params: string;
}

export function memberName(record: TrialRecord): string {
  return `${String(record.config[LEARNER_KEY])}_${record.id}`;
}

export async function buildEnsembles(
  config: AutomlConfig,
  prep: Prepared,
  ok: TrialRecord[],
  loss: (y: ArrayLike<number>, p: ArrayLike<number>) => number,
): Promise<{ candidates: Candidate[]; choices: EnsembleChoice[] }> {
  const singles: EnsembleChoice[] = [];
  const candidates: Candidate[] = [];
  for (const r of ok) {
    const c = { record: r, name: memberName(r), oof: r.result!.oof, test: r.result!.test };
    const index = r.result!.modelFile ? candidates.push(c) - 1 : -1;
    singles.push({
      name: c.name,
      cvLoss: r.loss,
      oof: c.oof,
      test: c.test,
      final: { type: 'single', name: c.name },
      members: index >= 0 ? [index] : [],
      fitSeconds: r.fit_time_s,
      params: '',
    });
  }
  // A single model can only be final if its fold models were kept.
  const choices: EnsembleChoice[] = singles.filter((s) => s.members.length > 0);
  if (candidates.length === 0) throw new Error('no trial kept its fold models');
  const oofs = candidates.map((c) => c.oof);
  const t0 = performance.now();
  // Classification: greedy selection on the out-of-fold log loss (smooth, unlike accuracy), whatever the metric.
  const classification = prep.problem.classes !== null;
  const greedy = greedySelection(oofs, prep.y, classification ? logLoss : loss, config.ensemble.greedy_rounds);
  const used = greedy.weights.map((w, i) => (w > 0 ? i : -1)).filter((i) => i >= 0);
  choices.push({
    name: 'greedy_ensemble',
    cvLoss: classification ? loss(prep.y, weightedSum(oofs, greedy.weights)) : greedy.loss,
    oof: weightedSum(oofs, greedy.weights),
    test: weightedSum(
      candidates.map((c) => c.test),
      greedy.weights,
    ),
    final: { type: 'greedy', name: 'greedy_ensemble', weights: used.map((i) => greedy.weights[i]) },
    members: used,
    fitSeconds: (performance.now() - t0) / 1000,
    params: JSON.stringify(
      Object.fromEntries(used.map((i) => [candidates[i].name, Number(greedy.weights[i].toFixed(4))])),
    ),
  });
  if (classification) {
    if (config.ensemble.stacking && candidates.length >= 2)
      choices.push(classStackChoice(prep, candidates, config.search.folds, loss));
    return { candidates, choices };
  }
  const stacker = LEARNERS.ridge;
  if (config.ensemble.stacking && stacker && candidates.length >= 2) {
    const top = candidates
      .map((c, i) => i)
      .sort((a, b) => candidates[a].record.loss - candidates[b].record.loss)
      .slice(0, 10);
    const names = top.map((i) => candidates[i].name);
    for (const withFeatures of [false, true]) {
      const t1 = performance.now();
      const design = stackMatrix(
        top.map((i) => candidates[i].oof),
        names,
        withFeatures ? prep.X : null,
      );
      const result = await stack(
        design,
        prep.y,
        prep.folds,
        config.search.folds,
        stacker,
        { alpha: 1 },
        config.seed,
        loss,
      );
      const name = withFeatures ? 'stack_ridge_features' : 'stack_ridge';
      const final: FinalModel = { type: 'stack', name, with_features: withFeatures, stacker: result.model.toJSON() };
      // The same code path as `sciml predict`, so the saved model reproduces these predictions.
      const testPred = combine(
        final,
        top.map((i) => candidates[i].test),
        names,
        prep.Xtest,
        prep.clampMin,
        result.model,
      );
      const oof = clampBelow(Float64Array.from(result.oof), prep.clampMin);
      choices.push({
        name,
        cvLoss: loss(prep.y, oof),
        oof,
        test: testPred,
        final,
        members: top,
        stacker: result.model,
        fitSeconds: (performance.now() - t1) / 1000,
        params: JSON.stringify({ stacker: 'ridge', alpha: 1, members: names, with_features: withFeatures }),
      });
    }
  }
  return { candidates, choices };
}

/** Members of the classification stack: the best few by CV (the stacker's cost grows with rows x classes x members). */
const CLASS_STACK_MEMBERS = 6;

function classStackChoice(
  prep: Prepared,
  candidates: Candidate[],
  folds: number,
  loss: (y: ArrayLike<number>, p: ArrayLike<number>) => number,
): EnsembleChoice {
  const t0 = performance.now();
  const K = prep.problem.classes!.length;
  const top = candidates
    .map((_, i) => i)
    .sort((a, b) => candidates[a].record.loss - candidates[b].record.loss)
    .slice(0, CLASS_STACK_MEMBERS);
  const names = top.map((i) => candidates[i].name);
  const { oof, stacker } = stackClassifiers(
    top.map((i) => candidates[i].oof),
    prep.y,
    prep.folds,
    folds,
    K,
  );
  const final: FinalModel = { type: 'class_stack', name: 'stack_logistic', stacker };
  return {
    name: 'stack_logistic',
    cvLoss: loss(prep.y, oof),
    oof,
    test: combine(
      final,
      top.map((i) => candidates[i].test),
      names,
      prep.Xtest,
      null,
      undefined,
      K,
    ),
    final,
    members: top,
    fitSeconds: (performance.now() - t0) / 1000,
    params: JSON.stringify({
      stacker: 'multinomial logistic on member log-probabilities',
      members: names,
      weights: stacker.weights.map((w) => Number(w.toFixed(4))),
    }),
  };
}
