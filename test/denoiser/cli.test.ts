import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, sciml, scimlBatch } from '../helpers/cli.js';
import { readArrowFile, flatFloat32Vectors } from '../../src/data/arrow.js';

const dir = mkdtempSync(join(tmpdir(), 'sciml-denoiser-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** A tiny, fast config: 128-sample traces, a 3-block autoencoder, a few epochs. */
function writeConfig(name: string, extra = ''): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    `task: denoiser
seed: 3
data:
  simulation:
    noise: uniform
    length: 128
    snr_min: 3
  train_count: 640
  test_count: 100
model:
  filters: [6, 6, 4]
  kernel_size: 5
training:
  epochs: 6
  batch_size: 32
  learning_rate: 0.005
  patience: 0
${extra}`,
  );
  return path;
}

function metricsOf(run: string) {
  return JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));
}

// One run of the tiny config; the bad-input test reuses its config text.
const tiny = writeConfig('tiny.yaml');
const run = join(dir, 'run');
const trained = sciml(['train', tiny, '--out', run]);

test('a tiny run trains (loss falls), evaluates against the filters and writes the run directory', () => {
  const r = trained;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /DAE\s+\d\.\d+/);
  assert.match(r.stdout, /Wiener filter/);
  const m = metricsOf(run);
  const history = m.history as { train_loss: number; val_loss: number; val_peak_accuracy: number }[];
  assert.equal(history.length, 6);
  const losses = history.map((h) => h.train_loss.toExponential(2)).join(' ');
  assert.ok(history[5].train_loss < 0.8 * history[0].train_loss, `training loss fell: ${losses}`);
  assert.ok(
    history[5].val_loss < 0.8 * history[0].val_loss,
    `validation loss fell: ${history.map((h) => h.val_loss.toExponential(2)).join(' ')}`,
  );
  assert.ok(history[5].val_peak_accuracy > history[0].val_peak_accuracy, 'validation peak accuracy rose');
  for (const k of ['peak_accuracy', 'mse', 'spectral_error']) {
    assert.equal(typeof m.metrics[k], 'number');
    assert.equal(typeof m.baseline[k], 'number');
  }
  assert.ok(m.accuracy_by_snr.length > 0);
  for (const f of [
    'predictions.arrow',
    'spectra.arrow',
    'report.html',
    'charts/spectra.svg',
    'charts/accuracy-vs-snr.vl.json',
    'charts/loss.svg',
    'model/model.json',
    'model/weights.bin',
    'model/filters.json',
    'model/checkpoint.bin',
  ]) {
    assert.ok(existsSync(join(run, f)), `${f} written`);
  }
  const predictions = readArrowFile(join(run, 'predictions.arrow'));
  for (const c of [
    'id',
    'snr',
    'true_peak',
    'dae_peak',
    'wiener_peak',
    'dae_hit',
    'wiener_hit',
    'dae_mse',
    'recovered',
  ])
    assert.ok(predictions.getChild(c), `column ${c}`);
  assert.equal(predictions.numRows, 100);
  assert.equal(flatFloat32Vectors(predictions, 'recovered').length, 128);
  const hits = predictions.getChild('dae_hit')!.toArray() as boolean[];
  assert.equal(Array.from(hits).filter(Boolean).length / 100, m.metrics.peak_accuracy);
  // the DAE denoises: its traces are closer to the clean ones than the noisy inputs were
  const noisy = flatFloat32Vectors(predictions, 'noisy').data;
  const clean = flatFloat32Vectors(predictions, 'signal').data;
  const noisyMse = noisy.reduce((a, v, i) => a + (v - clean[i]) ** 2, 0) / noisy.length;
  assert.ok(m.metrics.mse < noisyMse / 2, `DAE MSE ${m.metrics.mse} vs noisy ${noisyMse}`);
  const spectra = readArrowFile(join(run, 'spectra.arrow'));
  assert.deepEqual(
    spectra.schema.fields.map((f) => f.name),
    ['frequency_mhz', 'true', 'noisy', 'dae', 'wiener', 'bandpass'],
  );

  // evaluate <run>: reloads model/ and tests on a fresh set
  const evalRun = join(dir, 'eval');
  const [e, rep] = scimlBatch([
    ['--json', 'evaluate', run, '--out', evalRun],
    ['report', evalRun],
  ]);
  assert.equal(e.code, 0, e.stderr);
  const summary = JSON.parse(e.stdout);
  assert.equal(summary.test_count, 100);
  const fresh = readArrowFile(join(evalRun, 'predictions.arrow'));
  assert.notDeepEqual(
    Array.from(fresh.getChild('snr')!.toArray()),
    Array.from(predictions.getChild('snr')!.toArray()),
    'a test set the training run never used',
  );
  assert.ok(existsSync(join(evalRun, 'report.html')));
  assert.equal(rep.code, 0, rep.stderr);
});

// On the wasm fallback (the other tests run on the default backend, native where built), so the
// fallback's whole path (train, checkpoint, resume, save) cannot rot.
test('resume after an interruption gives the same weights as an uninterrupted run (wasm backend)', async () => {
  const config = writeConfig('resume.yaml');
  const whole = join(dir, 'whole');
  assert.equal(sciml(['--backend', 'wasm', 'train', config, '--out', whole]).code, 0);
  // interrupt a second run once its second epoch's checkpoint exists
  const cut = join(dir, 'cut');
  const child = spawn(process.execPath, [bin, '--backend', 'wasm', 'train', config, '--out', cut], {
    env: { ...process.env, CI: 'true' },
    stdio: 'ignore',
  });
  const checkpoint = join(cut, 'model', 'checkpoint.bin');
  const epochsIn = () =>
    existsSync(checkpoint)
      ? (JSON.parse(
          readFileSync(checkpoint)
            .subarray(12, 12 + readFileSync(checkpoint).readUInt32LE(8))
            .toString(),
        ).state.roundsDone as number)
      : 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (epochsIn() >= 2) {
        clearInterval(timer);
        child.kill('SIGKILL');
        resolve();
      }
    }, 20);
    child.on('exit', () => {
      clearInterval(timer);
      if (epochsIn() < 6) resolve();
      else reject(new Error('the run finished before it could be interrupted'));
    });
  });
  await new Promise((r) => setTimeout(r, 100));
  const done = epochsIn();
  assert.ok(done >= 2 && done < 6, `interrupted after ${done} epochs`);
  assert.ok(!existsSync(join(cut, 'metrics.json')), 'the interrupted run had not finished');
  const resumed = sciml(['--backend', 'wasm', 'train', config, '--resume', cut]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(JSON.parse(readFileSync(join(cut, 'run.json'), 'utf8')).backend, 'wasm');
  assert.deepEqual(
    readFileSync(join(cut, 'model', 'weights.bin')),
    readFileSync(join(whole, 'model', 'weights.bin')),
    'same weights',
  );
  assert.deepEqual(metricsOf(cut).metrics, metricsOf(whole).metrics);
  assert.equal(metricsOf(cut).training.resumed_at_epoch, done);
  assert.deepEqual(
    metricsOf(cut).history.map((h: { val_loss: number }) => h.val_loss),
    metricsOf(whole).history.map((h: { val_loss: number }) => h.val_loss),
  );
});

test('bad input names the file and field', () => {
  const bad = writeConfig('bad.yaml', 'evaluation:\n  peak_fraction: 2\n');
  const missing = join(dir, 'missing2.yaml');
  writeFileSync(missing, readFileSync(tiny, 'utf8').replace(/train_count: \d+/, 'train_path: nowhere.npz'));
  const [r, m, deep] = scimlBatch([
    ['train', bad],
    ['train', missing],
    ['train', writeConfig('deep.yaml'), '--set', 'model.filters=[4,4,4,4,4,4,4,4]'],
  ]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad\.yaml:\d+: evaluation\.peak_fraction: expected a number between 0 and 1/);
  assert.equal(m.code, 2);
  assert.match(m.stderr, /missing2\.yaml:\d+: data\.train_path: no such file: nowhere\.npz/);
  assert.equal(deep.code, 2);
  assert.match(deep.stderr, /model\.filters: 8 pooling blocks shrink 128 samples to nothing/);
});
