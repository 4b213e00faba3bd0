/**
 * `sciml ui` in a real browser: Debian's chromium driven by playwright-core (which downloads
 * nothing when given the installed executable). One browser for every test; fixture runs written
 * by the test, not trained. Without chromium the tests skip with one line naming the package.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { buildUiApp } from '../../src/ui/http.js';
import { sciml } from '../helpers/cli.js';
import { appendEpoch, writeRounds, writeRun, writeTune } from './fixtures.js';

const CHROMIUM = process.env.SCIML_CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM)
  ? false
  : `no browser at ${CHROMIUM}: install Debian's chromium package (apt-get install -y chromium)`;
const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const dir = join(mkdtempSync(join(tmpdir(), 'sciml-ui-browser-')), 'runs');
const A = writeRun(join(dir, 'knots-a'), { task: 'knots', mse: 2, chart: true, tags: { team: 'x' } });
const B = writeRun(join(dir, 'knots-b'), { task: 'knots', mse: 1.5, width: 16, epochs: 4 });
writeRun(join(dir, 'denoiser-1'), { task: 'denoiser', mse: 0.01 });
const LIVE = writeRun(join(dir, 'live'), { task: 'denoiser', status: 'running', jsonl: true, epochs: 2 });
writeTune(join(dir, 'tune-1'));
writeRounds(A, 3);

let browser: Browser;
let url = '';
let tokenUrl = '';
const servers: ReturnType<typeof buildUiApp>['app'][] = [];

async function serve(token?: string): Promise<string> {
  const { app } = buildUiApp({ dir, host: '127.0.0.1', token });
  servers.push(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

before(async () => {
  if (skip) return;
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  url = await serve();
  tokenUrl = await serve('the-right-token');
});

after(async () => {
  await browser?.close();
  for (const s of servers) await s.close();
});

/** A page that records console errors and uncaught exceptions. */
async function open(address: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(address);
  return { page, errors };
}

test('the runs table lists the fixture runs (tune trials included) and filters by task', { skip }, async () => {
  const { page, errors } = await open(`${url}/#/`);
  await page.waitForSelector('#runs tbody tr');
  const listed = await page.$$eval('#runs tbody tr', (rows) => rows.map((r) => (r as any).dataset.run).sort());
  assert.deepEqual(listed, [
    'denoiser-1',
    'knots-a',
    'knots-b',
    'live',
    'tune-1',
    'tune-1/trials/all/0',
    'tune-1/trials/all/1',
  ]);
  await page.selectOption('#filter-task', 'denoiser');
  const filtered = await page.$$eval('#runs tbody tr', (rows) => rows.map((r) => (r as any).dataset.task));
  assert.deepEqual(filtered, ['denoiser', 'denoiser']);
  await page.selectOption('#filter-task', '');
  await page.fill('#filter-query', 'test_mse<1.8');
  const byMetric = await page.$$eval('#runs tbody tr', (rows) => rows.map((r) => (r as any).dataset.run).sort());
  assert.deepEqual(byMetric, ['denoiser-1', 'knots-b']);
  await page.fill('#filter-query', 'tag=team=x');
  assert.deepEqual(await page.$$eval('#runs tbody tr', (rows) => rows.map((r) => (r as any).dataset.run)), ['knots-a']);
  await page.fill('#filter-query', '');
  // A run started while the page is open shows without a reload.
  writeRun(join(dir, 'knots-new'), { task: 'knots' });
  await page.waitForSelector('#runs tbody tr[data-run="knots-new"]', { timeout: 15000 });
  // Into a run and back: the table draws again from the (unchanged) listing.
  await page.click('#runs a[href="#/run/knots-b"]');
  await page.waitForSelector('#curves svg');
  await page.goBack();
  await page.waitForSelector('#runs tbody tr[data-run="knots-b"]');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a run page shows its learning curves, charts and distributed rounds, with no console errors', {
  skip,
}, async () => {
  const { page, errors } = await open(`${url}/#/run/knots-a`);
  await page.waitForSelector('#curves svg');
  await page.waitForSelector('[data-chart="predicted-vs-true"] svg');
  await page.waitForSelector('#distributed [data-workers] svg');
  assert.equal(
    await page.$eval('#curves', (el: any) => el.dataset.points),
    '6',
    '3 epochs of history.json and 3 rounds',
  );
  const cells = await page.$$eval('#rounds-table tbody td', (tds) => tds.map((td: any) => td.textContent));
  assert.deepEqual(
    cells.slice(0, 4),
    ['denoiser', '3', '1', '1'],
    'model, rounds, replicas alive in the last round, lost',
  );
  assert.match((await page.textContent('#config')) ?? '', /task: knots/);
  assert.match((await page.textContent('#inputs')) ?? '', /a{64}/);
  assert.ok((await page.$$('#curves svg path')).length > 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test("appending an epoch to a running run's history grows its curve on the open page", { skip }, async () => {
  const { page, errors } = await open(`${url}/#/run/live`);
  await page.waitForFunction(
    () => (globalThis as any).document.getElementById('curves')?.dataset.points === '2',
    undefined,
    { timeout: 15000 },
  );
  appendEpoch(LIVE, 3);
  await page.waitForFunction(
    () => (globalThis as any).document.getElementById('curves')?.dataset.points === '3',
    undefined,
    { timeout: 15000 },
  );
  appendEpoch(LIVE, 4);
  await page.waitForFunction(
    () => (globalThis as any).document.getElementById('curves')?.dataset.points === '4',
    undefined,
    { timeout: 15000 },
  );
  assert.deepEqual(errors, []);
  await page.close();
});

test('the compare view shows the differences `sciml diff --json` prints', { skip }, async () => {
  const cli = sciml(['diff', A, B, '--json']);
  assert.equal(cli.code, 0, cli.stderr);
  const expected = JSON.parse(cli.stdout);
  const { page, errors } = await open(`${url}/#/compare?runs=knots-a,knots-b`);
  await page.waitForSelector('#compare-metrics tbody tr');
  const shown = await page.$$eval('#compare-metrics tbody tr', (rows) =>
    rows.map((r) => {
      const cells = r.querySelectorAll('td');
      const num = (s: string | undefined) => (s === undefined || s === '' ? undefined : Number(s));
      const last = (cells[2] as any).dataset;
      return {
        metric: (r as any).dataset.metric,
        a: num((cells[1] as any).dataset.value),
        b: num(last.value),
        change: num(last.change),
        change_pct: num(last.changePct),
      };
    }),
  );
  const strip = (m: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined));
  assert.deepEqual(shown.map(strip), expected.metrics.map(strip));
  const params = await page.$$eval('#compare-params tbody tr', (rows) =>
    rows.map((r) => {
      const cells = r.querySelectorAll('td');
      return {
        param: (r as any).dataset.param,
        a: JSON.parse((cells[1] as any).dataset.json!),
        b: JSON.parse((cells[2] as any).dataset.json!),
      };
    }),
  );
  assert.deepEqual(params, expected.params);
  await page.waitForSelector('#compare-curves svg');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the tune view draws its leaderboard, best so far, curves with rung cuts and parallel coordinates', {
  skip,
}, async () => {
  const { page, errors } = await open(`${url}/#/tune/tune-1`);
  await page.waitForSelector('#tune-board tbody tr');
  assert.deepEqual(await page.$$eval('#tune-board tbody tr', (rows) => rows.map((r) => (r as any).dataset.config)), [
    'all/1',
    'all/0',
  ]);
  for (const id of ['#best-so-far svg', '#tune-curves svg', '#parallel svg']) await page.waitForSelector(id);
  assert.deepEqual(errors, []);
  await page.close();
});

test('traversal attempts from the browser are 404; a wrong token is 401, the right one opens the dashboard', {
  skip,
}, async () => {
  const page = await browser.newPage();
  for (const path of [
    '/files/..%2f..%2f..%2fetc%2fpasswd',
    '/files/%2e%2e/%2e%2e/etc/passwd',
    '/api/run?path=..%2F..',
  ]) {
    const res = await page.goto(url + path);
    assert.equal(res?.status(), 404, path);
  }
  const wrong = await page.goto(`${tokenUrl}/?token=not-it`);
  assert.equal(wrong?.status(), 401);
  const none = await page.goto(`${tokenUrl}/api/runs`);
  assert.equal(none?.status(), 401);
  const right = await page.goto(`${tokenUrl}/?token=the-right-token`);
  assert.equal(right?.status(), 200);
  assert.equal(new URL(page.url()).search, '', 'the token leaves the address bar');
  await page.waitForSelector('#runs tbody tr');
  const api = await page.goto(`${tokenUrl}/api/runs`);
  assert.equal(api?.status(), 200, 'the cookie carries the session');
  await page.close();
});
