/**
 * `sciml automl` end to end: prepare the data, search under the time budget, build the ensembles,
 * pick the best by CV, score it once on the holdout, and write the run directory.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskContext, TaskOutcome } from '../../tasks.js';
import { UserError } from '../../runtime/errors.js';
import type { Matrix } from '../tabular/learner.js';
import type { AutomlConfig } from './config.js';
import { buildEnsembles, memberName } from './choose.js';
import { permutationImportance, type FeatureImportance } from './importance.js';
import { leaderboardBytes, leaderboardText, rankRows } from './leaderboard.js';
import { allMetrics, isRegressionMetric, lossOf, lossToMetric, type RegressionMetric } from './metrics.js';
import { combine } from './model.js';
import { saveModel, trialLine, writePredictions } from './outputs.js';
import { prepare, readInputs } from './prepare.js';
import { searchModels } from './search-run.js';
import { logCandidate } from './target.js';
import { ensureBackendFor, predictMember, type SavedMember, type TrialData } from './trial.js';
import { zooKinds, LEARNER_KEY } from './zoo.js';
import { createExecutor } from '../../execution/create.js';
import type { Executor } from '../../execution/job.js';

/** Seconds kept after the search for ensembles, outputs and the report. */
export function reserveSeconds(timeLimit: number): number {
  return Math.min(20, Math.max(3, 0.1 * timeLimit));
}

/**
 * When the budget starts: at process start when this run is what the process was started for (a
 * few seconds ago: `sciml automl` loading its modules counts against the user's wall clock), else now.
 */
export function budgetStart(now = Date.now()): number {
  return Math.max(performance.timeOrigin, now - 10_000);
}

export async function trainAutoml(ctx: TaskContext, config: AutomlConfig): Promise<TaskOutcome> {
  const startMs = budgetStart();
  const configFile = ctx.configFile ?? '(automl command line)';
  if (!isRegressionMetric(config.search.metric)) {
    throw new UserError(`${configFile}: search.metric: '${config.search.metric}' needs classification, which this version of sciml does not do yet; expected one of 'rmse', 'mae', 'r2', 'rmsle'`);
  }
  const metric: RegressionMetric = config.search.metric;
  const loss = lossOf(metric);
  const timeLimitMs = config.search.time_limit_s * 1000;
  const kinds = zooKinds(config.search.learners, configFile);

  const inputs = await ctx.run.phase('read', () => readInputs(config, ctx.configFile));
  for (const path of [inputs.dataPath, inputs.testPath]) if (path && path !== '-') await ctx.run.recordInput(path);
  const prep = await ctx.run.phase('prepare', () => prepare(config, inputs));
  for (const leak of prep.leaks) ctx.log.warn(`${prep.dataPath}: ${leak.message}`);
  for (const d of prep.plan.dropped) if (d.reason !== 'dropped by the user') ctx.log.info(`column '${d.column}' dropped: ${d.reason}`);

  const candidatesDir = ctx.run.file('.candidates');
  mkdirSync(candidatesDir, { recursive: true });
  const data: TrialData = { X: prep.X, y: prep.y, Xtest: prep.Xtest, folds: prep.folds, k: config.search.folds, metric, clampMin: prep.clampMin, candidatesDir };
  const reserveMs = reserveSeconds(config.search.time_limit_s) * 1000;
  const searchDeadlineMs = startMs + timeLimitMs - reserveMs;
  let executor: Executor | undefined;
  try {
    const remote = config.execution.executor !== 'local';
    const workers = config.search.workers > 0 ? config.search.workers : remote ? 0 : ctx.workers;
    executor = await createExecutor({ spec: config.execution.executor, queue: config.execution.queue, slots: workers, origin: `${configFile}: execution.executor`, warn: (m) => ctx.log.warn(m) });
    if (remote) ctx.run.extra.executor = { name: executor.name, queue: config.execution.queue };
    const search = await ctx.run.phase('search', () =>
      searchModels({
        config,
        kinds,
        data,
        executor: executor!,
        workers,
        tryLog: logCandidate(prep.y),
        searchDeadlineMs,
        hardDeadlineMs: searchDeadlineMs + Math.min(3000, reserveMs / 3),
        startMs,
        log: ctx.log,
        metric,
      }),
    );
    ctx.log.done();
    await executor.close();
    executor = undefined;
    const ok = search.records.filter((r) => r.status === 'ok' && r.result);
    if (ok.length === 0) {
      const failures = search.records.filter((r) => r.error).map((r) => `trial ${r.id} (${String(r.config[LEARNER_KEY])}): ${r.error}`);
      throw new UserError(`${prep.dataPath}: no model finished within search.time_limit_s = ${config.search.time_limit_s} s${failures.length ? `; ${failures.slice(0, 3).join('; ')}` : ''}: raise the time limit`);
    }
    const ensembleStart = Date.now();
    const out = await ctx.run.phase('ensemble', () => buildEnsembles(config, prep, ok, loss));
    const ensembleSeconds = (Date.now() - ensembleStart) / 1000;

    // The best by CV is the final model; it meets the holdout once, here.
    const best = out.choices.reduce((a, b) => (b.cvLoss < a.cvLoss ? b : a));
    const bestSingle = out.choices.filter((c) => c.final.type === 'single').reduce((a, b) => (b.cvLoss < a.cvLoss ? b : a));
    const finalMetrics = allMetrics(prep.ytest, best.test);
    const baselineMetrics = allMetrics(prep.ytest, bestSingle.test);

    const leaderboard = rankRows(
      [
        ...ok.map((r) => ({
          model: memberName(r),
          cv: lossToMetric(metric, r.loss),
          holdout: lossToMetric(metric, loss(prep.ytest, r.result!.test)),
          fit_time_s: r.fit_time_s,
          predict_time_s: r.predict_time_s,
          stack_level: 1,
          params: JSON.stringify({ ...r.config, budget: r.budget, transform: r.transform }),
        })),
        ...out.choices
          .filter((c) => c.final.type !== 'single')
          .map((c) => ({
            model: c.name,
            cv: lossToMetric(metric, c.cvLoss),
            holdout: lossToMetric(metric, loss(prep.ytest, c.test)),
            fit_time_s: c.fitSeconds,
            predict_time_s: 0,
            stack_level: 2,
            params: c.params,
          })),
      ],
      metric === 'r2',
    );

    // Saved model: only the members the final model needs.
    const model = await ctx.run.phase('save', () => saveModel(ctx.run, prep, search.transform, out.candidates, best, metric));
    const memberPreds = best.members.map((m) => out.candidates[m]);
    let importance: FeatureImportance[] = [];
    const left = startMs + timeLimitMs - Date.now();
    if (left > 5000) {
      const allowance = Math.min(6000, 0.6 * (left - 4000));
      importance = await ctx.run.phase('importance', async () => {
        const t0 = Date.now();
        await ensureBackendFor(model.members.map((m) => String(out.candidates.find((c) => c.record.id === m.id)?.record.config[LEARNER_KEY])));
        const members: SavedMember[] = model.members.map((m) => JSON.parse(readFileSync(join(ctx.run.file('model'), m.file), 'utf8')));
        const names = model.members.map((m) => m.name);
        const predict = (X: Matrix) => combine(model.final, members.map((m) => predictMember(m, X)), names, X, prep.clampMin, best.stacker);
        const remaining = allowance - (Date.now() - t0);
        if (remaining < 500) return [];
        return permutationImportance(predict, prep.Xtest, prep.ytest, loss, { seed: config.seed, maxRows: 1000, timeBudgetMs: remaining });
      });
    }
    const perModel = new Map<string, Float64Array>([[bestSingle.name, bestSingle.test]]);
    for (const c of memberPreds) perModel.set(c.name, c.test);
    writePredictions(ctx.run, prep, best, [...perModel].map(([name, test]) => ({ name, test })));
    ctx.run.writeBytes('leaderboard.arrow', leaderboardBytes(leaderboard, metric));
    ctx.run.writeText('trials.jsonl', search.records.map((r) => JSON.stringify(trialLine(r))).join('\n') + '\n');

    const elapsed = (Date.now() - startMs) / 1000;
    const summary = {
      final_model: best.name,
      [`cv_${metric}`]: lossToMetric(metric, best.cvLoss),
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
      metric,
      final_model: best.name,
      baseline_model: bestSingle.name,
      cv: Object.fromEntries(out.choices.filter((c) => c.final.type !== 'single').map((c) => [c.name, lossToMetric(metric, c.cvLoss)])),
      cv_final: lossToMetric(metric, best.cvLoss),
      cv_baseline: lossToMetric(metric, bestSingle.cvLoss),
      target: prep.target,
      target_transform: search.transform,
      transform_cv: Object.fromEntries(Object.entries(search.transformLosses).map(([k, v]) => [k, lossToMetric(metric, v!)])),
      leaks: prep.leaks,
      dropped_columns: prep.plan.dropped,
      date_columns: prep.plan.dates,
      features: prep.X.names,
      rows: { train: prep.y.length, holdout: prep.ytest.length },
      scheduler: search.scheduler,
      trials: { total: search.records.length, ok: ok.length, failed: search.records.filter((r) => r.status === 'failed').length, killed: search.records.filter((r) => r.status === 'killed').length },
      time_limit_s: config.search.time_limit_s,
      ensemble_s: ensembleSeconds,
      feature_importance: importance,
    });
    if (Date.now() < startMs + timeLimitMs - 1500) {
      await ctx.run.phase('report', async () => (await import('./report.js')).writeAutomlReport(ctx.run, ctx.log));
    } else {
      ctx.log.warn('time budget used up: report.html skipped (render it later with `sciml report <run>`)');
    }
    const text = [
      leaderboardText(leaderboard, metric),
      '',
      `final: ${best.name}  holdout ${metric} ${finalMetrics[metric].toFixed(4)}  (best single model ${bestSingle.name}: ${baselineMetrics[metric].toFixed(4)})`,
      `${search.records.length} trials in ${elapsed.toFixed(1)} s; target transform ${search.transform}; run ${ctx.run.path}`,
    ].join('\n');
    return { text, summary: { ...summary, metrics: finalMetrics, baseline: baselineMetrics } };
  } finally {
    await executor?.close();
    rmSync(candidatesDir, { recursive: true, force: true });
  }
}

