/**
 * `sciml automl` end to end: prepare the data, search under the time budget, build the ensembles,
 * pick the best by CV, score it once on the holdout, and write the run directory.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskContext, TaskOutcome } from '../../contracts/task.js';
import { UserError } from '../../runtime/errors.js';
import type { LearnerFactory, Matrix } from '../../learners/learner.js';
import type { AutomlConfig } from './config.js';
import { buildEnsembles, memberName, type Candidate, type EnsembleChoice } from './choose.js';
import { permutationImportance, type FeatureImportance } from './importance.js';
import { leaderboardBytes, leaderboardText, rankRows } from './leaderboard.js';
import { allMetrics, lossOf, metricOfLoss, type RegressionMetric } from '../../metrics/regression.js';
import {
  accuracy,
  allClassificationMetrics,
  classificationLoss,
  logLoss,
  type ClassificationMetric,
} from '../../metrics/classification.js';
import { higherIsBetter, resolveMetric } from './metric-choice.js';
import { combine } from './model.js';
import { saveModel, trialLine, writeClassPredictions, writePredictions } from './outputs.js';
import { readInputs } from '../../tabular/prepare.js';
import { prepare } from './prepare.js';
import { searchModels, type TrialRecord } from './search-run.js';
import { logCandidate } from '../../tabular/target.js';
import { predictMember } from './trial.js';
import {
  ensureBackendFor,
  readMemberFile,
  readMemberHead,
  writeMemberFile,
  type SavedMember,
  type TrialData,
} from './trial-common.js';
import { refitMember } from './refit.js';
import { refitEstimateSeconds, refitReserveSeconds, refitWithinDeadline, trialTimes } from './refit-budget.js';
import type { ModelFile } from './model.js';
import type { Prepared } from '../../tabular/prepare.js';
import { registryFor, zooKinds, LEARNER_KEY } from './zoo.js';
import { createExecutor } from '../../execution/create.js';
import type { Executor } from '../../execution/job.js';
import { formatBytes } from '../../runtime/memory.js';
import { budgetStart } from '../../runtime/budget-start.js';

/** Seconds kept after the search for ensembles, outputs and the report (the compact refit's time is kept by refit-budget.ts). */
function reserveSeconds(timeLimit: number): number {
  return Math.min(20, Math.max(3, 0.1 * timeLimit));
}

export async function trainAutoml(ctx: TaskContext, config: AutomlConfig): Promise<TaskOutcome> {
  const startMs = budgetStart();
  const configFile = ctx.configFile ?? '(automl command line)';
  const timeLimitMs = config.search.time_limit_s * 1000;

  const inputs = await ctx.run.phase('read', () => readInputs(config, ctx.configFile));
  for (const path of [inputs.dataPath, inputs.testPath]) if (path && path !== '-') await ctx.run.recordInput(path);
  const prep = await ctx.run.phase('prepare', () => prepare(config, inputs, ctx.configFile));
  const classification = prep.problem.classes !== null;
  const metric = resolveMetric(config.search.metric, prep.problem, configFile);
  const loss: (y: ArrayLike<number>, p: ArrayLike<number>) => number = classification
    ? classificationLoss(metric as ClassificationMetric)
    : lossOf(metric as RegressionMetric);
  const registry = registryFor(classification);
  const kinds = zooKinds(config.search.learners, configFile, registry);
  ctx.log.info(`problem type: ${prep.problem.type} (${prep.problem.reason}); metric ${metric}`);
  for (const note of inputs.notes) ctx.log.warn(note);
  for (const note of prep.notes) ctx.log.warn(`${prep.dataPath}: ${note}`);
  for (const leak of prep.leaks) ctx.log.warn(`${prep.dataPath}: ${leak.message}`);
  for (const d of prep.plan.dropped)
    if (d.reason !== 'dropped by the user') ctx.log.info(`column '${d.column}' dropped: ${d.reason}`);

  const candidatesDir = ctx.run.temporaryFolder('.candidates');
  const data: TrialData = {
    X: prep.X,
    y: prep.y,
    Xtest: prep.Xtest,
    folds: prep.folds,
    k: config.search.folds,
    metric,
    clampMin: prep.clampMin,
    candidatesDir,
    ...(classification ? { classes: prep.problem.classes!.length, sampleWeight: prep.sampleWeight } : {}),
  };
  const reserveMs = reserveSeconds(config.search.time_limit_s) * 1000;
  const searchDeadlineMs = startMs + timeLimitMs - reserveMs;
  const compact = config.ensemble.deploy === 'compact';
  // The refit may take at most half the budget from the search; past that it keeps some members bagged.
  const refitReserveMs = compact
    ? (candidates: TrialRecord[]) =>
        1000 *
        refitReserveSeconds(
          candidates.map((r) => trialTimes(r, registry)),
          config.search.folds,
          0.5 * config.search.time_limit_s,
        )
    : undefined;
  let executor: Executor | undefined;
  try {
    const remote = config.execution.executor !== 'local';
    const workers = config.search.workers > 0 ? config.search.workers : remote ? 0 : ctx.workers;
    executor = await createExecutor({
      jobs: ctx.jobs,
      spec: config.execution.executor,
      queue: config.execution.queue,
      slots: workers,
      origin: `${configFile}: execution.executor`,
      warn: (m) => ctx.log.warn(m),
    });
    if (remote) ctx.run.extra.executor = { name: executor.name, queue: config.execution.queue };
    const search = await ctx.run.phase('search', () =>
      searchModels({
        config,
        kinds,
        data,
        executor: executor!,
        workers,
        tryLog: !classification && logCandidate(prep.y),
        searchDeadlineMs,
        refitReserveMs,
        hardDeadlineMs: searchDeadlineMs + Math.min(3000, reserveMs / 3),
        startMs,
        log: ctx.log,
        metric,
        registry,
      }),
    );
    ctx.log.done();
    await executor.close();
    executor = undefined;
    const ok = search.records.filter((r) => r.status === 'ok' && r.result);
    if (ok.length === 0) {
      const failures = search.records
        .filter((r) => r.error)
        .map((r) => `trial ${r.id} (${String(r.config[LEARNER_KEY])}): ${r.error}`);
      throw new UserError(
        `${prep.dataPath}: no model finished within search.time_limit_s = ${config.search.time_limit_s} s${failures.length ? `; ${failures.slice(0, 3).join('; ')}` : ''}: raise the time limit`,
      );
    }
    const ensembleStart = Date.now();
    const out = await ctx.run.phase('ensemble', () => buildEnsembles(config, prep, ok, loss));
    const ensembleSeconds = (Date.now() - ensembleStart) / 1000;

    // The best by CV is the final model; it meets the holdout once, here.
    const best = out.choices.reduce((a, b) => (b.cvLoss < a.cvLoss ? b : a));
    const bestSingle = out.choices
      .filter((c) => c.final.type === 'single')
      .reduce((a, b) => (b.cvLoss < a.cvLoss ? b : a));
    const scoreAll = (y: Float64Array, p: Float64Array): Record<string, number> =>
      classification ? allClassificationMetrics(y, p) : allMetrics(y, p);
    const baggedMetrics = scoreAll(prep.ytest, best.test);
    const baselineMetrics = scoreAll(prep.ytest, bestSingle.test);
    // Classification leaderboards show accuracy beside the chosen metric.
    const accuracyOf = (oof: Float64Array, test: Float64Array) =>
      classification ? { cv_accuracy: accuracy(prep.y, oof), holdout_accuracy: accuracy(prep.ytest, test) } : {};

    const leaderboard = rankRows(
      [
        ...ok.map((r) => ({
          model: memberName(r),
          cv: metricOfLoss(metric, r.loss),
          holdout: metricOfLoss(metric, loss(prep.ytest, r.result!.test)),
          ...accuracyOf(r.result!.oof, r.result!.test),
          fit_time_s: r.fit_time_s,
          predict_time_s: r.predict_time_s,
          stack_level: 1,
          params: JSON.stringify({ ...r.config, budget: r.budget, transform: r.transform }),
        })),
        ...out.choices
          .filter((c) => c.final.type !== 'single')
          .map((c) => ({
            model: c.name,
            cv: metricOfLoss(metric, c.cvLoss),
            holdout: metricOfLoss(metric, loss(prep.ytest, c.test)),
            ...accuracyOf(c.oof, c.test),
            fit_time_s: c.fitSeconds,
            predict_time_s: 0,
            stack_level: 2,
            params: c.params,
          })),
      ],
      higherIsBetter(metric),
    );

    // Saved model: only the members the final model needs; compact: each refitted once on all rows.
    const model = await ctx.run.phase('save', () =>
      saveModel(ctx.run, prep, search.transform, out.candidates, best, metric),
    );
    const deploy = config.ensemble.deploy;
    // The refit ends in time for the outputs, the footprint and the report (half the reserve).
    const refitDeadlineMs = startMs + timeLimitMs - reserveMs / 2;
    const deployed =
      deploy === 'compact'
        ? await ctx.run.phase('refit', () =>
            refitModel(
              ctx.run.file('model'),
              model,
              best,
              out.candidates,
              prep,
              config.search.folds,
              refitDeadlineMs,
              registry,
            ),
          )
        : { test: best.test, seconds: 0, refitted: [], estimates: {}, measured: {} };
    const kept = deployed.refitted.filter((r) => !r).length;
    if (kept > 0)
      ctx.log.warn(
        `deploy compact: ${kept} of ${deployed.refitted.length} members kept their fold models (their refit would not end within search.time_limit_s)`,
      );
    const finalMetrics = deploy === 'compact' ? scoreAll(prep.ytest, deployed.test) : baggedMetrics;
    const deployedBest: EnsembleChoice = { ...best, test: deployed.test };
    const memberPreds = best.members.map((m) => out.candidates[m]);
    let importance: FeatureImportance[] = [];
    const left = startMs + timeLimitMs - Date.now();
    if (left > 5000) {
      const allowance = Math.min(6000, 0.6 * (left - 4000));
      importance = await ctx.run.phase('importance', async () => {
        const t0 = Date.now();
        await ensureBackendFor(
          model.members.map((m) =>
            String(out.candidates.find((c) => c.record.id === m.id)?.record.config[LEARNER_KEY]),
          ),
        );
        const members: SavedMember[] = model.members.map((m) => readMemberFile(join(ctx.run.file('model'), m.file)));
        const names = model.members.map((m) => m.name);
        const K = prep.problem.classes?.length;
        const predict = (X: Matrix) =>
          combine(
            model.final,
            members.map((m) => predictMember(m, X)),
            names,
            X,
            prep.clampMin,
            best.stacker,
            K,
          );
        const remaining = allowance - (Date.now() - t0);
        if (remaining < 500) return [];
        return permutationImportance(predict, prep.Xtest, prep.ytest, loss, {
          seed: config.seed,
          maxRows: 1000,
          timeBudgetMs: remaining,
        });
      });
    }
    const perModel = new Map<string, Float64Array>([[bestSingle.name, bestSingle.test]]);
    for (const c of memberPreds) perModel.set(c.name, c.test);
    if (classification)
      writeClassPredictions(
        ctx.run,
        prep,
        deployedBest,
        [...perModel].map(([name, test]) => ({ name, test })),
      );
    else
      writePredictions(
        ctx.run,
        prep,
        deployed.test,
        [...perModel].map(([name, test]) => ({ name, test })),
      );
    ctx.run.writeBytes('leaderboard.arrow', leaderboardBytes(leaderboard, metric));
    ctx.run.writeText('trials.jsonl', search.records.map((r) => JSON.stringify(trialLine(r))).join('\n') + '\n');

    // What deploying the model costs (run.json, the summary and the text): bytes, and predict's peak RSS while the budget allows.
    // A compact model predicts in seconds: measured even when the refit used up a budget of a minute or more.
    const footprintMs = Math.max(
      startMs + timeLimitMs - Date.now() - 500,
      deploy === 'compact' && config.search.time_limit_s >= 60 ? 10_000 : 0,
    );
    const footprint = await ctx.run.phase('footprint', async () =>
      (await import('./footprint.js')).modelFootprint(
        ctx.run.file('model'),
        prep.testPath ?? prep.dataPath,
        footprintMs,
      ),
    );
    ctx.run.extra.model_footprint = footprint;
    const elapsed = (Date.now() - startMs) / 1000;
    const summary = {
      model_bytes: footprint.model_bytes,
      predict_peak_rss_bytes: footprint.predict_peak_rss_bytes,
      final_model: best.name,
      deploy,
      problem_type: prep.problem.type,
      [`cv_${metric}`]: metricOfLoss(metric, best.cvLoss),
      [`holdout_${metric}`]: finalMetrics[metric],
      [`baseline_holdout_${metric}`]: baselineMetrics[metric],
      baseline_model: bestSingle.name,
      trials: search.records.length,
      trials_ok: ok.length,
      target_transform: search.transform,
      elapsed_s: elapsed,
    };
    ctx.run.writeMetrics({
      task: 'automl',
      metrics: finalMetrics,
      baseline: baselineMetrics,
      deploy,
      // The final model with every fold model kept (the model that was cross-validated), for comparison.
      ...(deploy === 'compact'
        ? {
            bagged_metrics: baggedMetrics,
            refit_s: deployed.seconds,
            refitted_members: model.members.filter((_, j) => deployed.refitted[j]).map((m) => m.name),
            bagged_members: model.members.filter((_, j) => !deployed.refitted[j]).map((m) => m.name),
            refit_member_s: { estimated: deployed.estimates, measured: deployed.measured },
          }
        : {}),
      metric,
      final_model: best.name,
      baseline_model: bestSingle.name,
      cv: Object.fromEntries(
        out.choices.filter((c) => c.final.type !== 'single').map((c) => [c.name, metricOfLoss(metric, c.cvLoss)]),
      ),
      cv_final: metricOfLoss(metric, best.cvLoss),
      cv_baseline: metricOfLoss(metric, bestSingle.cvLoss),
      ...(classification
        ? {
            cv_log_loss: {
              final: logLoss(prep.y, best.oof),
              baseline: logLoss(prep.y, bestSingle.oof),
              ...Object.fromEntries(
                out.choices.filter((c) => c.final.type !== 'single').map((c) => [c.name, logLoss(prep.y, c.oof)]),
              ),
            },
          }
        : {}),
      problem_type: prep.problem,
      ...(classification
        ? {
            class_weight: config.search.class_weight,
            fold_notes: prep.notes,
            class_counts: classCounts(prep.y, prep.problem.classes!),
          }
        : {}),
      target: prep.target,
      target_transform: search.transform,
      transform_cv: Object.fromEntries(
        Object.entries(search.transformLosses).map(([k, v]) => [k, metricOfLoss(metric, v!)]),
      ),
      leaks: prep.leaks,
      dropped_columns: prep.plan.dropped,
      date_columns: prep.plan.dates,
      features: prep.X.names,
      rows: { train: prep.y.length, holdout: prep.ytest.length },
      scheduler: search.scheduler,
      trials: {
        total: search.records.length,
        ok: ok.length,
        failed: search.records.filter((r) => r.status === 'failed').length,
        killed: search.records.filter((r) => r.status === 'killed').length,
      },
      time_limit_s: config.search.time_limit_s,
      ensemble_s: ensembleSeconds,
      feature_importance: importance,
      model_footprint: footprint,
    });
    // A completed run always has its report, even when the search used the whole budget (it takes about a second).
    const overS = (Date.now() - (startMs + timeLimitMs)) / 1000;
    if (overS > 0) ctx.log.warn(`time limit reached ${overS.toFixed(1)} s ago: writing report.html anyway`);
    await ctx.run.phase('report', async () => (await import('./report.js')).writeAutomlReport(ctx.run, ctx.log));
    const text = [
      leaderboardText(leaderboard, metric),
      '',
      `problem type: ${prep.problem.type} (${prep.problem.reason})`,
      `final: ${best.name}  holdout ${metric} ` +
        `${finalMetrics[metric].toFixed(4)}${classification && metric !== 'accuracy' ? `, accuracy ${finalMetrics.accuracy.toFixed(4)}` : ''} ` +
        ` (best single model ${bestSingle.name}: ${baselineMetrics[metric].toFixed(4)})`,
      deploy === 'compact'
        ? `deploy: compact (${kept > 0 ? `${deployed.refitted.length - kept} of ${deployed.refitted.length} members` : 'members'} ` +
          `refitted on all rows in ${deployed.seconds.toFixed(1)} ` +
          `s${kept > 0 ? `, ${kept} kept bagged: no time left` : ''}; with every fold model kept: holdout ${metric} ` +
          `${baggedMetrics[metric].toFixed(4)})`
        : 'deploy: bagged (every fold model kept)',
      `model: ${formatBytes(footprint.model_bytes)} on disk; predict peak RSS ${footprint.predict_peak_rss_bytes === null ? `- (${footprint.predict_note})` : `${formatBytes(footprint.predict_peak_rss_bytes)} (${footprint.predict_rows} rows)`}`,
      `${search.records.length} trials in ${elapsed.toFixed(1)} s;${classification ? '' : ` target transform ${search.transform};`} run ${ctx.run.path}`,
    ].join('\n');
    return { text, summary: { ...summary, metrics: finalMetrics, baseline: baselineMetrics } };
  } finally {
    await executor?.close();
    rmSync(candidatesDir, { recursive: true, force: true });
  }
}

/**
 * Replaces each saved member of the model folder by its refit on all training rows (one at a time:
 * refit, write, predict the holdout) while each refit's estimate ends before `deadlineMs`; a member
 * that would not keeps its fold models. Returns the final model's holdout predictions.
 */
async function refitModel(
  modelDir: string,
  model: ModelFile,
  best: EnsembleChoice,
  candidates: Candidate[],
  prep: Prepared,
  k: number,
  deadlineMs: number,
  registry: Record<string, LearnerFactory>,
): Promise<{
  test: Float64Array;
  seconds: number;
  refitted: boolean[];
  estimates: Record<string, number>;
  measured: Record<string, number>;
}> {
  const t0 = performance.now();
  const K = prep.problem.classes?.length;
  const data = { X: prep.X, y: prep.y, k, ...(K !== undefined ? { classes: K, sampleWeight: prep.sampleWeight } : {}) };
  const chosen = best.members.map((m) => candidates[m]);
  const times = chosen.map((c) => trialTimes(c.record, registry));
  const names = model.members.map((m) => m.name);
  // A member kept bagged predicts as in the search (the mean of its fold models).
  const preds: Float64Array[] = chosen.map((c) => c.test);
  const measured: Record<string, number> = {};
  const refitted = await refitWithinDeadline(times, k, deadlineMs, Date.now, async (j) => {
    const t1 = performance.now();
    const path = join(modelDir, model.members[j].file);
    const member = await refitMember(readMemberHead(path), data, chosen[j].record.seed);
    writeMemberFile(path, member);
    preds[j] = predictMember(member, prep.Xtest);
    measured[names[j]] = (performance.now() - t1) / 1000;
  });
  const test = combine(model.final, preds, names, prep.Xtest, prep.clampMin, best.stacker, K);
  const estimates = Object.fromEntries(names.map((name, j) => [name, refitEstimateSeconds(times[j], k)]));
  return { test, seconds: (performance.now() - t0) / 1000, refitted, estimates, measured };
}

function classCounts(y: Float64Array, classes: string[]): Record<string, number> {
  const counts = new Array<number>(classes.length).fill(0);
  for (const v of y) counts[v]++;
  return Object.fromEntries(classes.map((c, k) => [c, counts[k]]));
}
