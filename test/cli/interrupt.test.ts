import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, root } from '../helpers/cli.js';

test('SIGTERM during automl: run.json says interrupted with the time, temporaries are gone, stderr says so, exit 143', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sciml-interrupt-'));
  const table = join(dir, 'big.csv');
  writeFileSync(
    table,
    'a,b,c,y\n' +
      Array.from(
        { length: 3000 },
        (_, i) => `${i % 7},${(i * 13) % 11},${(i * 7) % 5},${(i % 7) * 2 + ((i * 13) % 11)}`,
      ).join('\n') +
      '\n',
  );
  const run = join(dir, 'run');
  const child = spawn(process.execPath, [bin, 'automl', table, '--target', 'y', '--time-limit', '120', '--out', run], {
    cwd: root,
    env: { ...process.env, CI: 'true' },
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (existsSync(join(run, '.candidates'))) {
        clearInterval(timer);
        resolve();
      }
    }, 50);
  });
  child.kill('SIGTERM');
  assert.equal(await exited, 143, stderr);
  const info = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
  assert.equal(info.status, 'interrupted');
  assert.ok(Date.parse(info.ended_at) > Date.parse(info.started_at));
  assert.ok(!readdirSync(run).some((f) => f.startsWith('.')), `temporaries left: ${readdirSync(run).join(', ')}`);
  assert.match(stderr, /sciml: interrupted \(SIGTERM\); .*run is recorded as interrupted/);
});
