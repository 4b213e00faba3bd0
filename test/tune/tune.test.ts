import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sciml, scimlBatch } from '../helpers/cli.js';
import { locateModel } from '../../src/runtime/model-dir.js';
import {
  HALVING,
  KNOTS_BASE,
  journal,
  leaderboardRows,
  tuneKilledMidTrial,
  tuneYaml,
  workdir,
  type Event,
} from './helpers.js';
import { resolveConfig } from '../../src/session.js';
import { tableFromIPC } from 'apache-arrow';

/** Epoch numbers a configuration reported, across all its runs, in journal order. */
function epochsByConfig(events: Event[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const e of events) {
    if (e.ev !== 'epoch') continue;
    const key = `${e.seg}/${e.config_index}`;
    out.set(key, [...(out.get(key) ?? []), e.epoch!]);
  }
  return out;
}

test('a misspelled space path exits 2 with file:line and a suggestion', () => {
  const dir = workdir({
    'knots.yaml': KNOTS_BASE,
    'tune.yaml': tuneYaml('  space:\n    training.learnin_rate: {loguniform: [1.0e-3, 1.0e-2]}\n'),
  });
  const wrongType = workdir({
    'knots.yaml': KNOTS_BASE,
    'tune.yaml': tuneYaml('  space:\n    model.width: {loguniform: [8, 64]}\n'),
  });
  const valid = workdir({ 'knots.yaml': KNOTS_BASE, 'tune.yaml': HALVING });
  const empty = workdir({
    'knots.yaml': KNOTS_BASE,
    'tune.yaml': tuneYaml('  space:\n    model.activation: {choice: []}\n'),
  });
  const [r, wrong, badExecutor, none] = scimlBatch([
    ['tune', join(dir, 'tune.yaml')],
    ['tune', join(wrongType, 'tune.yaml')],
    ['tune', join(valid, 'tune.yaml'), '--executor', 'ftp://nowhere', '--out', join(valid, 'never')],
    ['tune', join(empty, 'tune.yaml')],
  ]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /tune\.yaml:5: tune\.space\.training\.learnin_rate: no such field in the base config \(did you mean 'training\.learning_rate'\?\)/,
  );
  assert.match(
    wrong.stderr,
    /tune\.yaml:5: tune\.space\.model\.width: a loguniform domain draws fractions but this field takes integers/,
  );
  assert.equal(badExecutor.code, 2);
  assert.match(
    badExecutor.stderr,
    /--executor: expected 'local', redis:\/\/host:port or rediss:\/\/host:port, got 'ftp:\/\/nowhere'/,
  );
  assert.ok(!existsSync(join(valid, 'never')), 'a rejected command leaves no run directory');
  assert.match(none.stderr, /tune\.yaml:5: tune\.space\.model\.activation: choice: expected at least one value/);
});

test('the leader curve follows each configuration at its latest report (a passing minimum does not stay the leader)', async () => {
  const { bestSoFar } = await import('../../src/tune/report.js');
  const curve = bestSoFar(
    [
      { t: 1, metric: 5, config: 0 },
      { t: 2, metric: 7, config: 1 },
      { t: 3, metric: 9, config: 0 },
      { t: 4, metric: 6, config: 1 },
    ],
    'min',
  );
  assert.deepEqual(curve, [
    { t: 1, best: 5 },
    { t: 3, best: 7 },
    { t: 4, best: 6 },
  ]);
});

test('successive halving continues promoted trials from their checkpoints, and a kill -9 then --resume gives the same leaderboard', async () => {
  const dir = workdir({ 'knots.yaml': KNOTS_BASE, 'tune.yaml': HALVING });
  const reference = join(dir, 'reference');
  const r = sciml(['tune', join(dir, 'tune.yaml'), '--out', reference, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const events = journal(reference);
  // Promotions continue: each configuration's epochs run 1, 2, 3, ... once, never restarting.
  const promoted = events.filter((e) => e.ev === 'promote');
  assert.equal(promoted.length, 4, 'a bracket of 9 promotes 3 to rung 1 and 1 to rung 2');
  for (const [key, epochs] of epochsByConfig(events))
    assert.deepEqual(
      epochs,
      epochs.map((_, i) => i + 1),
      `${key} restarted: ${epochs}`,
    );
  const board = leaderboardRows(reference);
  assert.equal(board.length, 9);
  assert.equal(board[0].epochs, 9);
  const winner = board[0].trial as number;
  const history = JSON.parse(readFileSync(join(reference, 'trials', 'all', String(winner), 'history.json'), 'utf8'));
  assert.deepEqual(
    history.map((h: { epoch: number }) => h.epoch),
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  const epochEvents = events.filter((e) => e.ev === 'epoch').length;
  assert.equal(epochEvents, 9 * 1 + 3 * 2 + 1 * 6, 'a config promoted to 9 epochs costs 9 epochs in total');
  // The winner as a ready config.
  const best = await resolveConfig({ file: join(reference, 'best', 'all', 'config.yaml') });
  assert.equal((best.config as any).training.max_epochs, 9);
  assert.ok(existsSync(join(reference, 'best', 'all', 'model')));
  for (const f of ['leaderboard.arrow', 'trials.arrow', 'metrics.json', 'report.html'])
    assert.ok(existsSync(join(reference, f)), f);
  assert.equal(
    tableFromIPC(readFileSync(join(reference, 'trials.arrow'))).numRows,
    epochEvents,
    'trials.arrow has one row per epoch report',
  );
  const html = readFileSync(join(reference, 'report.html'), 'utf8');
  for (const part of [
    'Leaderboard',
    'Learning curves',
    'Parallel coordinates',
    'The leader against time',
    'model.width (all)',
  ])
    assert.ok(html.includes(part), `report.html lacks ${part}`);
  // The leader curve ends at the leaderboard's winner (not at some trial's passing minimum).
  const chart = (name: string) => JSON.parse(readFileSync(join(reference, 'charts', `${name}.vl.json`), 'utf8'));
  const leader = chart('best-so-far').data.values as { best: number }[];
  assert.ok(
    Math.abs(leader[leader.length - 1].best - (board[0]['validation.mse'] as number)) <=
      1e-5 * Math.abs(board[0]['validation.mse'] as number),
    'the leader curve ends at the winner',
  );
  // A numeric choice's axis runs 8, 16, 32 (not sorted as strings); the result columns come before the parameters.
  assert.deepEqual(chart('marginal-all-1').encoding.x.sort, ['8', '16', '32']);
  const head = /<h3>Leaderboard[^]*?<thead>(.*?)<\/thead>/.exec(html)![1];
  assert.ok(
    head.indexOf('validation.mse') < head.indexOf('model.width') &&
      head.indexOf('status') < head.indexOf('model.width'),
    head,
  );
  // Parallel coordinates write each axis's lowest and highest value.
  const ticks = chart('parallel-all').layer[2].data.values as { axis: string; label: string }[];
  assert.deepEqual(
    ticks
      .filter((t) => t.axis === 'model.width')
      .map((t) => t.label)
      .sort(),
    ['32', '8'],
  );

  // The winner's folder holds a trial checkpoint: predict and serve say how to get a model.
  assert.throws(
    () => locateModel(join(reference, 'best', 'all')),
    /a tune winner's trial checkpoint, not a trained model: train it with sciml tune --resume .* --refit/,
  );

  // Same search (its max_trials given on the command line this time), killed with SIGKILL while
  // trials run, then resumed without the flag: the resume keeps it.
  writeFileSync(join(dir, 'tune-more.yaml'), HALVING.replace('max_trials: 9', 'max_trials: 30'));
  const killed = join(dir, 'killed');
  await tuneKilledMidTrial([join(dir, 'tune-more.yaml'), '--max-trials', '9', '--out', killed], killed, 5);
  const firstRun = JSON.parse(readFileSync(join(killed, 'run.json'), 'utf8'));
  const before = journal(killed);
  const toldBefore = new Set(before.filter((e) => e.ev === 'tell').map((e) => e.run));
  const unfinished = before.filter((e) => (e.ev === 'ask' || e.ev === 'promote') && !toldBefore.has(e.run));
  assert.ok(unfinished.length > 0, 'the kill should leave a trial running');
  const resumed = sciml(['tune', '--resume', killed, '--refit']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const runInfo = JSON.parse(readFileSync(join(killed, 'run.json'), 'utf8'));
  assert.deepEqual(runInfo.command, firstRun.command, 'run.json keeps the original command');
  assert.equal(runInfo.started_at, firstRun.started_at);
  assert.deepEqual(
    runInfo.sessions.map((x: { command: string[] }) => x.command.includes('--resume')),
    [false, true],
  );
  // --refit made the winner a complete run directory that predict takes (and serve, through the tune run).
  assert.equal(locateModel(killed).modelDir, join(killed, 'best', 'all', 'model'));
  const [generated, predicted] = scimlBatch([
    ['data', 'generate', 'knots', '-n', '20', '-o', join(dir, 'new.csv')],
    ['predict', '--model', join(killed, 'best', 'all'), '--input', join(dir, 'new.csv'), '-o', join(dir, 'pred.jsonl')],
  ]);
  assert.equal(generated.code, 0, generated.stderr);
  assert.equal(predicted.code, 0, predicted.stderr);
  assert.equal(readFileSync(join(dir, 'pred.jsonl'), 'utf8').trim().split('\n').length, 20);
  const after = journal(killed);
  const asks = after.filter((e) => e.ev === 'ask' || e.ev === 'promote').map((e) => e.run);
  assert.equal(new Set(asks).size, asks.length, 'no trial was handed out twice');
  const tells = after.filter((e) => e.ev === 'tell').map((e) => e.run);
  assert.equal(new Set(tells).size, tells.length, 'no finished trial ran twice');
  assert.ok(
    after.slice(before.length).every((e) => e.ev !== 'epoch' || !toldBefore.has(e.run)),
    'a finished trial reported epochs after the resume',
  );
  // Unfinished trials continued from their last checkpoint instead of starting over.
  for (const u of unfinished) {
    const checkpoint =
      before.filter((e) => e.ev === 'checkpoint' && e.seg === u.seg && e.config_index === u.config_index).at(-1)
        ?.epoch ?? 0;
    const firstAfter = after.slice(before.length).find((e) => e.ev === 'epoch' && e.config_index === u.config_index);
    if (firstAfter)
      assert.equal(
        firstAfter.epoch,
        checkpoint + 1,
        `configuration ${u.config_index} resumed at epoch ${firstAfter.epoch}, its checkpoint was at ${checkpoint}`,
      );
  }
  assert.deepEqual(leaderboardRows(killed), board);
});

test('segments each get a winner; a trial the task rejects is recorded as failed, not fatal', () => {
  const dir = workdir({
    'knots.yaml': KNOTS_BASE,
    'tune.yaml': tuneYaml(`  space:
    data.validation_fraction: {choice: [0.15, 0.9]}
    training.learning_rate: {loguniform: [1.0e-3, 3.0e-2]}
  budget: {min: 2, max: 2}
  scheduler: random
  sampler: random
  max_trials: 6
  workers: 2
  seed: 3
  segments:
    relu: {model.activation: relu}
    tanh: {model.activation: tanh}
`),
  });
  const out = join(dir, 'run');
  const r = sciml(['tune', join(dir, 'tune.yaml'), '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  for (const seg of ['relu', 'tanh']) {
    assert.ok(summary.segments[seg].winner, `segment ${seg} has no winner`);
    const best = readFileSync(join(out, 'best', seg, 'config.yaml'), 'utf8');
    assert.match(best, new RegExp(`activation: ${seg}`));
    assert.match(best, /validation_fraction: 0.15/);
  }
  const rows = leaderboardRows(out);
  const failed = rows.filter((row) => row.status === 'failed');
  assert.ok(failed.length > 0, 'expected some sampled validation_fraction 0.9 (with test_fraction 0.15) to fail');
  for (const row of failed) {
    assert.equal(row['data.validation_fraction'], 0.9);
    assert.match(String(row.error), /validation_fraction \+ data\.test_fraction/);
  }
  assert.ok(rows.filter((row) => row.status === 'completed').length > 0);
  assert.deepEqual(new Set(rows.map((row) => row.segment)), new Set(['relu', 'tanh']));
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.ok(html.includes('Segment relu') && html.includes('Segment tanh'));
  rmSync(join(out, 'report.html'));
  const again = sciml(['tune', '--report', out]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout.trim(), join(out, 'report.html'));
  const undated = (text: string) => text.replace(/<footer>.*<\/footer>/, '');
  assert.equal(
    undated(readFileSync(join(out, 'report.html'), 'utf8')),
    undated(html),
    'the re-rendered report is the same but for its date',
  );
  const viaReport = sciml(['report', out]);
  assert.equal(viaReport.code, 0, viaReport.stderr);
  assert.equal(viaReport.stdout.trim(), join(out, 'report.html'));
});

test('the time limit holds within 5 s and the run still ends with a complete leaderboard', () => {
  // The limit counts from process start, and each worker thread loads tfjs before its first epoch
  // (about 2.5 s of CPU). On a normal machine the first rung (1 epoch on 2000 rows) ends within
  // seconds and promoted trials (up to 400 epochs) are running at the limit; on a machine so loaded
  // that no epoch ends in time the run must still end on time, say so, and list every trial.
  const dir = workdir({
    'knots.yaml': KNOTS_BASE,
    'tune.yaml': tuneYaml(`  space:
    training.learning_rate: {loguniform: [1.0e-3, 3.0e-2]}
  budget: {min: 1, max: 400}
  scheduler: asha
  sampler: tpe
  workers: 2
  time_limit_s: 12
`),
  });
  const out = join(dir, 'run');
  const t0 = Date.now();
  const r = sciml(['tune', join(dir, 'tune.yaml'), '--out', out]);
  const seconds = (Date.now() - t0) / 1000;
  assert.equal(r.code, 0, r.stderr);
  assert.ok(seconds < 12 + 5, `took ${seconds.toFixed(1)} s for a limit of 12 s`);
  assert.ok(existsSync(join(out, 'report.html')));
  const events = journal(out);
  assert.equal(events.at(-1)?.reason, 'time limit');
  // Every trial asked for ended in the journal (reported, or cut by the limit), and the leaderboard
  // lists each configuration once, cut ones marked so.
  const ended = new Set(
    events.filter((e) => e.ev === 'tell' || e.ev === 'cut').map((e) => `${e.config_index}/${e.run}`),
  );
  const asks = events.filter((e) => e.ev === 'ask' || e.ev === 'promote');
  assert.ok(asks.length >= 2);
  for (const e of asks) assert.ok(ended.has(`${e.config_index}/${e.run}`), `trial ${e.run} never ended`);
  const rows = leaderboardRows(out);
  assert.equal(rows.length, new Set(asks.map((e) => e.config_index)).size);
  const lastEnd = new Map(events.filter((e) => e.ev === 'tell' || e.ev === 'cut').map((e) => [e.config_index, e.ev]));
  for (const row of rows)
    assert.equal(row.status === 'cut', lastEnd.get(row.trial as number) === 'cut', `trial ${row.trial}`);
  if (events.some((e) => e.ev === 'epoch')) {
    assert.ok(
      rows.some((row) => row.status === 'cut'),
      'trials running at the limit are cut and listed',
    );
    assert.ok(existsSync(join(out, 'best', 'all', 'config.yaml')));
  } else {
    assert.match(r.stderr, /no trial reported a validation\.mse before the time limit/);
    assert.ok(!existsSync(join(out, 'best')));
  }
});

test('asha with 3 brackets starts configurations at every rung in Hyperband proportions, each trained from epoch 1 once', () => {
  const dir = workdir({
    'knots.yaml': KNOTS_BASE,
    'tune.yaml': tuneYaml(`  space:
    training.learning_rate: {loguniform: [1.0e-3, 3.0e-2]}
    model.width: {choice: [8, 16]}
  budget: {min: 1, max: 9}
  scheduler: asha
  brackets: 3
  sampler: tpe
  n_startup: 5
  max_trials: 17
  workers: 2
  time_limit_s: 300
`),
  });
  const out = join(dir, 'run');
  const r = sciml(['tune', join(dir, 'tune.yaml'), '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const events = journal(out);
  const asks = events.filter((e) => e.ev === 'ask');
  assert.equal(asks.length, 17);
  assert.deepEqual(
    [0, 1, 2].map((rung) => asks.filter((e) => e.rung === rung).length),
    [9, 5, 3],
  );
  assert.deepEqual(
    [...new Set(asks.map((e) => e.budget))].sort((a, b) => Number(a) - Number(b)),
    [1, 3, 9],
  );
  for (const [key, epochs] of epochsByConfig(events)) {
    assert.deepEqual(
      epochs,
      Array.from({ length: epochs.length }, (_, i) => i + 1),
      `${key} trained ${epochs.join(',')}: continued, never restarted`,
    );
  }
  const started = new Map(asks.map((e) => [e.config_index, e.rung as number]));
  for (const e of events.filter((e) => e.ev === 'promote'))
    assert.ok((e.rung as number) > started.get(e.config_index)!, 'promotions go up from where a configuration started');
  assert.ok(existsSync(join(out, 'best', 'all', 'config.yaml')));
});

test('a tune in which every trial failed exits 2 naming the reason, with the leaderboard on stdout', () => {
  const dir = workdir({
    'knots.yaml': KNOTS_BASE.replace('data:\n', 'data:\n  validation_fraction: 0.9\n'),
    'tune.yaml': tuneYaml(`  space:
    training.learning_rate: {loguniform: [1.0e-3, 3.0e-2]}
  budget: {min: 1, max: 1}
  scheduler: random
  sampler: random
  max_trials: 2
  workers: 1
`),
  });
  const out = join(dir, 'run');
  const r = sciml(['tune', join(dir, 'tune.yaml'), '--out', out]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /^sciml: tune: no trial finished: 2 failed; first error: .*validation_fraction \+ data\.test_fraction/m,
  );
  assert.match(r.stdout, /failed/);
  assert.equal(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).status, 'failed');
});
