import { mkdirSync } from 'node:fs';
import { executionTarget } from '../../execution/config.js';
import { dirname, join, resolve } from 'node:path';
import type { TaskContext, TaskDefinition, TaskOutcome } from '../../contracts/task.js';
import type { RunDir } from '../../runtime/rundir.js';
import { UserError } from '../../runtime/errors.js';
import { writeJsonAtomic } from '../../runtime/atomic.js';
import { partFilter, streamEvents, type ParticleEvent } from '../../data/particles/reader.js';
import { particlesSchema, type ParticlesConfig } from './config.js';
import { evaluateScores, integratedGradients, writeEvaluation, type Evaluation } from './evaluate.js';
import { Network } from './network.js';
import { writeParticlesReport } from './report.js';
import { readTrainState, scoreEvents, trainParticles, writeTrainState, type Split, type TrainState } from './train.js';
import { trainParticlesDistributed, type ParticlesDistribution } from './distributed.js';
import { distributedSettingsOf } from '../../distributed/config.js';
import { distributedSummary } from '../../distributed/summary.js';
import { particlesTrial } from './trial.js';
import { splitOf } from './split.js';
import { textTable } from '../../runtime/text-table.js';

export const MODEL_FILE = 'particles.bin';
/** The distributed driver's per-round checkpoint (continued by --resume). */
const DRIVER_CHECKPOINT = 'distributed-checkpoint.bin';

/** Test events in file order (the held-out part of data.path, or all of test_path). */
function testEvents(split: Split, seed: number): AsyncGenerator<ParticleEvent> {
  const filter = split.testPart ? partFilter(split.test, seed, split.testPart, split.fractions) : undefined;
  return streamEvents(split.test, { seed, epoch: 0, shuffleBuffer: 0, filter });
}

async function evaluateModel(
  ctx: TaskContext,
  config: ParticlesConfig,
  split: Split,
  state: TrainState,
  extra: Record<string, unknown>,
): Promise<Evaluation> {
  const net = new Network(state.spec, state.norm, state.params);
  const baseline =
    state.baselineSpec && state.baselineParams
      ? new Network(state.baselineSpec, state.norm, state.baselineParams)
      : undefined;
  try {
    const scored = await ctx.run.phase('evaluate', () =>
      scoreEvents(testEvents(split, config.seed), net, baseline, state.maxParticles, 256),
    );
    if (scored.labels.length === 0) throw new UserError(`${split.test.source}: no test events`);
    const evaluation = evaluateScores(scored);
    if (config.evaluation.importance_events > 0) {
      const sample: ParticleEvent[] = [];
      for await (const e of testEvents(split, config.seed)) {
        sample.push(e);
        if (sample.length >= config.evaluation.importance_events) break;
      }
      evaluation.importance = await ctx.run.phase('importance', () =>
        integratedGradients(net, sample, state.maxParticles, config.evaluation.importance_steps),
      );
    }
    writeEvaluation(ctx.run, scored, evaluation, {
      model_name: modelName(config),
      history: state.history,
      data: split.test.source,
      max_particles: state.maxParticles,
      predict_events_per_s: scored.eventsPerS,
      ...extra,
    });
    await ctx.run.phase('report', () => writeParticlesReport(ctx.run));
    return evaluation;
  } finally {
    net.dispose();
    baseline?.dispose();
  }
}

function modelName(config: ParticlesConfig): string {
  return config.model.inputs === 'both'
    ? `Inclusive classifier (${config.model.recurrent.toUpperCase()})`
    : config.model.inputs === 'hlf'
      ? 'HLF classifier'
      : `Particle-sequence classifier (${config.model.recurrent.toUpperCase()})`;
}

function outcomeOf(run: RunDir, config: ParticlesConfig, e: Evaluation): TaskOutcome {
  const rows: [string, typeof e.model][] = [[modelName(config), e.model]];
  if (e.baseline) rows.push(['HLF classifier', e.baseline]);
  const lines = [
    `particles: ${e.events} test events`,
    textTable(
      [
        ['model', 'accuracy', 'log_loss', 'auc_macro', 'eff@1%:QCD', 'tt', 'W+jets'],
        ...rows.map(([name, m]) => [
          name,
          m.accuracy.toFixed(4),
          m.log_loss.toFixed(4),
          m.auc_macro.toFixed(4),
          ...(['QCD', 'tt', 'W+jets'] as const).map((c) => m.efficiency_at_1pct_fpr[c].toFixed(3)),
        ]),
      ],
      ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
    ).trimEnd(),
  ];
  if (e.paired)
    lines.push(
      `paired (McNemar): accuracy ${e.paired.diff >= 0 ? '+' : ''}${e.paired.diff.toFixed(4)} +- ${e.paired.se.toFixed(4)} over the HLF classifier, z = ${e.paired.z.toFixed(2)}`,
    );
  lines.push(`run: ${run.path}`);
  return {
    text: lines.join('\n') + '\n',
    summary: { run_dir: run.path, events: e.events, ...e.model, baseline: e.baseline, paired: e.paired },
  };
}

async function train(ctx: TaskContext, config: ParticlesConfig, options: { resume?: string }): Promise<TaskOutcome> {
  const split = await ctx.run.phase('data', () => splitOf(ctx, config, ctx.run));
  const modelDir = ctx.run.file('model');
  mkdirSync(modelDir, { recursive: true });
  const modelFile = join(modelDir, MODEL_FILE);
  const resume = options.resume !== undefined;
  const settings = distributedSettingsOf(config.training.distributed);
  const remote = config.execution.executor !== 'local';
  let state: TrainState;
  if (settings.replicas > 1 || remote) {
    const distribution: ParticlesDistribution = {
      settings,
      execution: executionTarget(ctx, config.execution),
      backend: ctx.backend?.provider,
      runKey: ctx.run.path,
      checkpointPath: config.training.checkpoint ? join(modelDir, DRIVER_CHECKPOINT) : undefined,
      roundsFile: ctx.run.file('rounds.json'),
    };
    const trained = await ctx.run.phase('train', () =>
      trainParticlesDistributed({ config, split, log: ctx.log, resume, distribution }),
    );
    ctx.run.extra.distributed = distributedSummary(trained.rounds, trained.replicas, trained.executor);
    state = trained.state;
    writeTrainState(modelFile, state);
  } else {
    state = await ctx.run.phase('train', () =>
      trainParticles({ config, split, log: ctx.log, checkpointPath: modelFile, resume }),
    );
  }
  writeJsonAtomic(join(modelDir, 'meta.json'), {
    task: 'particles',
    model: MODEL_FILE,
    inputs: state.spec.inputs,
    recurrent: state.spec.recurrent,
    max_particles: state.maxParticles,
    epochs: state.epochsDone,
  });
  const e = await evaluateModel(ctx, config, split, state, {
    train_events_per_s: mean(state.history.map((h) => h.events_per_s)),
    ...stepThroughput(state.history),
  });
  return outcomeOf(ctx.run, config, e);
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

async function evaluate(
  ctx: TaskContext,
  config: ParticlesConfig,
  options: { modelDir: string },
): Promise<TaskOutcome> {
  const state = readTrainState(join(options.modelDir, MODEL_FILE));
  if (!state) throw new UserError(`${options.modelDir}: expected ${MODEL_FILE} of a particles run`);
  const split = await ctx.run.phase('data', () =>
    splitOf(ctx, config, undefined, join(dirname(resolve(options.modelDir)), 'data')),
  );
  const e = await evaluateModel(ctx, config, split, state, { model_dir: options.modelDir });
  return outcomeOf(ctx.run, config, e);
}

export const particlesTask: TaskDefinition<ParticlesConfig> = {
  name: 'particles',
  schema: particlesSchema,
  usesTensorflow: true,
  train,
  evaluate,
  renderReport: (run) => writeParticlesReport(run),
  trial: particlesTrial,
};

/** Mean optimizer-step throughput over the epochs that recorded it (distributed rounds do not). */
function stepThroughput(history: { step_events_per_s?: number }[]): { train_step_events_per_s?: number } {
  const measured = history.flatMap((h) => (h.step_events_per_s === undefined ? [] : [h.step_events_per_s]));
  return measured.length ? { train_step_events_per_s: mean(measured) } : {};
}
