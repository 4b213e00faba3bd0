/** Run directories for the dashboard's tests and bench, written as sciml writes them (not trained). */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FixtureRun {
  task: string;
  status?: string;
  width?: number;
  mse?: number;
  epochs?: number;
  tags?: Record<string, string>;
  started?: string;
  /** Write history.jsonl (one line per epoch) instead of history.json. */
  jsonl?: boolean;
  chart?: boolean;
}

export function historyRecord(epoch: number, scale = 1): Record<string, number> {
  return {
    epoch,
    train_loss: scale / epoch,
    validation_loss: (1.2 * scale) / epoch + 0.05,
    validation_mse: 10 / epoch + scale,
  };
}

export function writeRun(dir: string, run: FixtureRun): string {
  mkdirSync(join(dir, 'charts'), { recursive: true });
  const status = run.status ?? 'completed';
  const started = run.started ?? '2026-12-01T10:00:00.000Z';
  writeFileSync(
    join(dir, 'config.yaml'),
    `task: ${run.task}\nseed: 42\nmodel:\n  width: ${run.width ?? 32}\ntraining:\n  max_epochs: ${run.epochs ?? 3}\n`,
  );
  writeFileSync(
    join(dir, 'run.json'),
    JSON.stringify(
      {
        sciml_version: '0.1.0',
        command: ['sciml', 'train', `configs/${run.task}.yaml`],
        backend: 'wasm',
        seed: 42,
        status,
        started_at: started,
        ended_at: started,
        duration_s: status === 'running' ? 0.05 : 12.5,
        phases_s: {},
        inputs: [{ path: `configs/${run.task}.yaml`, bytes: 120, sha256: 'a'.repeat(64) }],
        ...(run.tags ? { tags: run.tags } : {}),
      },
      null,
      2,
    ),
  );
  if (status !== 'running') {
    writeFileSync(
      join(dir, 'metrics.json'),
      JSON.stringify(
        {
          task: run.task,
          metrics: { test_mse: run.mse ?? 1, test_accuracy: 0.5 },
          baseline: { test_mse: 2 },
          best_epoch: run.epochs ?? 3,
        },
        null,
        2,
      ),
    );
  }
  const epochs = run.epochs ?? 3;
  const records = Array.from({ length: epochs }, (_, i) => historyRecord(i + 1, run.mse ?? 1));
  if (run.jsonl) writeFileSync(join(dir, 'history.jsonl'), records.map((r) => JSON.stringify(r) + '\n').join(''));
  else writeFileSync(join(dir, 'history.json'), JSON.stringify({ full: records }));
  if (run.chart) {
    const spec = {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: 'Predicted vs true',
      data: {
        values: [
          { x: 1, y: 1.1 },
          { x: 2, y: 1.9 },
          { x: 3, y: 3.2 },
        ],
      },
      mark: 'point',
      encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
    };
    writeFileSync(join(dir, 'charts', 'predicted-vs-true.vl.json'), JSON.stringify(spec));
  }
  return dir;
}

export function appendEpoch(dir: string, epoch: number, scale = 1): void {
  appendFileSync(join(dir, 'history.jsonl'), JSON.stringify(historyRecord(epoch, scale)) + '\n');
}

/** A tune run with its journal and two trials (one cut at the first rung). */
export function writeTune(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tune.yaml'), 'tune:\n  base: knots.yaml\n  metric: validation.mse\n  mode: min\n');
  writeFileSync(
    join(dir, 'run.json'),
    JSON.stringify({
      command: ['sciml', 'tune', 'tune.yaml'],
      status: 'running',
      started_at: '2026-12-01T11:00:00.000Z',
    }),
  );
  const events = [
    { ev: 'start', t: 0, seed: 42, segments: ['all'], scheduler: 'asha', sampler: 'random' },
    {
      ev: 'ask',
      t: 0.1,
      seg: 'all',
      run: 0,
      config_index: 0,
      rung: 0,
      budget: 2,
      promoted_from: null,
      params: { 'model.width': 16, 'training.learning_rate': 0.001 },
    },
    {
      ev: 'ask',
      t: 0.1,
      seg: 'all',
      run: 1,
      config_index: 1,
      rung: 0,
      budget: 2,
      promoted_from: null,
      params: { 'model.width': 32, 'training.learning_rate': 0.01 },
    },
    { ev: 'epoch', t: 1, seg: 'all', config_index: 0, run: 0, epoch: 1, metrics: { 'validation.mse': 9 } },
    { ev: 'epoch', t: 1.2, seg: 'all', config_index: 1, run: 1, epoch: 1, metrics: { 'validation.mse': 7 } },
    { ev: 'epoch', t: 2, seg: 'all', config_index: 0, run: 0, epoch: 2, metrics: { 'validation.mse': 8 } },
    { ev: 'epoch', t: 2.1, seg: 'all', config_index: 1, run: 1, epoch: 2, metrics: { 'validation.mse': 5 } },
    { ev: 'tell', t: 2.2, seg: 'all', config_index: 0, run: 0, score: 8, metric: 8, epochs: 2, worker: 'local' },
    { ev: 'tell', t: 2.3, seg: 'all', config_index: 1, run: 1, score: 5, metric: 5, epochs: 2, worker: 'local' },
    { ev: 'cut', t: 2.4, seg: 'all', config_index: 0, run: 0, epochs: 2 },
    {
      ev: 'promote',
      t: 2.5,
      seg: 'all',
      run: 2,
      config_index: 1,
      rung: 1,
      budget: 6,
      promoted_from: 1,
      params: { 'model.width': 32, 'training.learning_rate': 0.01 },
    },
    { ev: 'epoch', t: 3, seg: 'all', config_index: 1, run: 2, epoch: 3, metrics: { 'validation.mse': 4 } },
  ];
  writeFileSync(join(dir, 'trials.jsonl'), events.map((e) => JSON.stringify(e) + '\n').join(''));
  for (const [i, mse] of [
    [0, 8],
    [1, 4],
  ] as const) {
    const trial = join(dir, 'trials', 'all', String(i));
    mkdirSync(trial, { recursive: true });
    writeFileSync(join(trial, 'config.yaml'), `task: knots\nseed: 42\n`);
    writeFileSync(
      join(trial, 'history.json'),
      JSON.stringify([
        { epoch: 1, 'validation.mse': mse + 1 },
        { epoch: 2, 'validation.mse': mse },
      ]),
    );
    writeFileSync(
      join(trial, 'metrics.json'),
      JSON.stringify({
        task: 'knots',
        metrics: { 'validation.mse': mse },
        baseline: {},
        status: i === 0 ? 'cut' : 'paused',
      }),
    );
  }
  return dir;
}

/** A distributed training's rounds file as src/distributed writes it (2 replicas, one worker lost in round 3). */
export function writeRounds(dir: string, rounds: number, file = 'rounds.json'): void {
  const t0 = Date.parse('2026-12-01T12:00:00.000Z');
  const records = Array.from({ length: rounds }, (_, i) => ({
    round: i + 1,
    epoch: (i + 1) / 2,
    train_loss: 1 / (i + 1),
    val_loss: 1.1 / (i + 1),
    metrics: { peak_accuracy: 0.5 + 0.05 * i },
    learning_rate: 0.001,
    seconds: 2,
    examples_per_s: 1000 + i,
    replicas: i === 2 ? 1 : 2,
    lost: i === 2 ? [1] : [],
    bytes_moved: 1e6,
    compute_s: 1.8,
    validation_s: 0.1,
    overhead_s: 0.1,
    jobs: [0, 1]
      .filter((r) => i !== 2 || r === 0)
      .map((replica) => ({
        replica,
        worker: `host-${replica}`,
        attempts: 1,
        started_ms: t0 + 2000 * i,
        ended_ms: t0 + 2000 * i + 1800,
        compute_s: 1.8,
      })),
  }));
  writeFileSync(
    join(dir, file),
    JSON.stringify({ label: 'denoiser', replicas: 2, executor: 'redis', rounds: records }),
  );
}

/** A pipeline's lock (two stages, the second reading the first's out) and, optionally, its live status file. */
export function writePipeline(folder: string, live: boolean): void {
  mkdirSync(folder, { recursive: true });
  const lock = [
    '# Written by `sciml pipeline run`: what each completed stage ran on and made. Do not edit.',
    'schema: sciml-pipeline-lock/1',
    'stages:',
    '  prepare:',
    '    cmd: sciml data generate knots -n 100 -o runs/data.arrow',
    '    signature: abc',
    '    deps: []',
    '    params: {}',
    '    outs:',
    '      - path: runs/data.arrow',
    '        sha256: def',
    '        size: 10',
    '    started_at: 2026-12-01T10:00:00.000Z',
    '    ended_at: 2026-12-01T10:00:05.000Z',
    '    duration_s: 5',
  ].join('\n');
  writeFileSync(join(folder, 'flow.lock'), lock + '\n');
  if (live) {
    writeFileSync(
      join(folder, 'flow.status.json'),
      JSON.stringify({
        schema: 'sciml-pipeline-status/1',
        pipeline: 'flow.yaml',
        started_at: '2026-12-01T10:00:00.000Z',
        updated_at: '2026-12-01T10:00:06.000Z',
        stages: {
          prepare: {
            state: 'ran',
            upstream: [],
            outs: ['runs/data.arrow'],
            started_at: '2026-12-01T10:00:00.000Z',
            ended_at: '2026-12-01T10:00:05.000Z',
          },
          train: { state: 'running', upstream: ['prepare'], outs: ['runs/a'], started_at: '2026-12-01T10:00:05.000Z' },
        },
      }),
    );
  }
}
