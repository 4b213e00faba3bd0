/* sciml ui: runs table, run page, compare, tune and pipeline views. Hash routes; polls the JSON API. */
'use strict';

const POLL_MS = 2000;
const main = document.getElementById('main');
let pollTimer = null;
let pageToken = 0;

/* ---------- small DOM helpers (text only: names come from the file system) ---------- */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat())
    if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}
const enc = encodeURIComponent;
const runHref = (path) => `#/run/${enc(path)}`;
const fileHref = (run, file) => `/files/${run.split('/').map(enc).join('/')}/${file.split('/').map(enc).join('/')}`;

function fmt(v) {
  if (v === undefined || v === null) return '–';
  if (typeof v !== 'number') return String(v);
  if (!Number.isFinite(v)) return Number.isNaN(v) ? '–' : v > 0 ? '∞' : '−∞';
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return v.toLocaleString('en-US');
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(4)));
}
const fmtTime = (iso) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '–');
function fmtDuration(s) {
  if (s === undefined || s === null) return '–';
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}
function durationOf(run) {
  if (run.duration_s !== undefined) return run.duration_s;
  if (run.status === 'running' && run.started) return (Date.now() - Date.parse(run.started)) / 1000;
  return undefined;
}
const badge = (state) => h('span', { class: `badge ${state}` }, state);

function showError(message) {
  const el = document.getElementById('error');
  el.hidden = !message;
  el.textContent = message || '';
}

/* ---------- fetching with ETags: null when unchanged ---------- */
const etags = new Map();
const cache = new Map();
async function getJson(url, { onlyChanged = false } = {}) {
  const headers = {};
  if (etags.has(url)) headers['if-none-match'] = etags.get(url);
  const res = await fetch(url, { cache: 'no-store', headers, credentials: 'same-origin' });
  if (res.status === 304) return onlyChanged ? null : cache.get(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${(await res.text()).trim()}`);
  const body = await res.json();
  const tag = res.headers.get('etag');
  if (tag) {
    etags.set(url, tag);
    cache.set(url, body);
  }
  return body;
}

function poll(fn) {
  const token = pageToken;
  const tick = async () => {
    if (token !== pageToken) return;
    try {
      await fn();
      showError('');
      document.getElementById('live').textContent = `live · updated ${new Date().toLocaleTimeString()}`;
    } catch (err) {
      showError(`cannot reach the server: ${err.message}`);
    }
    if (token === pageToken) pollTimer = setTimeout(tick, POLL_MS);
  };
  return tick();
}

/* ---------- runs table ---------- */
const runsState = {
  sort: 'started',
  desc: true,
  task: '',
  status: '',
  kind: '',
  query: '',
  selected: new Set(),
  known: null,
};

/** `task=knots status=completed test_mse<10 duration>60 started>2026-12-01 tag=team=a word` */
function parseQuery(q) {
  const tests = [];
  for (const token of q.trim().split(/\s+/).filter(Boolean)) {
    const m = /^([^<>=!]+)(<=|>=|!=|=|<|>)(.*)$/.exec(token);
    if (!m) {
      const word = token.toLowerCase();
      tests.push(
        (r) =>
          r.path.toLowerCase().includes(word) ||
          r.tags.some((t) => t.toLowerCase().includes(word)) ||
          r.task.toLowerCase().includes(word),
      );
      continue;
    }
    const [, key, op, raw] = m;
    const num = Number(raw);
    const cmp = (v) => {
      if (v === undefined || v === null) return false;
      const x = typeof v === 'number' && raw !== '' && !Number.isNaN(num) ? num : raw;
      switch (op) {
        case '=':
          return typeof v === 'string' ? v === raw || v.startsWith(raw) : v === x;
        case '!=':
          return v !== x;
        case '<':
          return v < x;
        case '<=':
          return v <= x;
        case '>':
          return v > x;
        case '>=':
          return v >= x;
      }
      return false;
    };
    if (key === 'tag')
      tests.push((r) => r.tags.some((t) => (op === '!=' ? t !== raw : t === raw || t.startsWith(`${raw}=`))));
    else if (key === 'duration') tests.push((r) => cmp(durationOf(r)));
    else if (['task', 'status', 'kind', 'path', 'started', 'parent'].includes(key)) tests.push((r) => cmp(r[key]));
    else tests.push((r) => cmp(r.metrics[key]));
  }
  return (r) => tests.every((t) => t(r));
}

function sortValue(r, key) {
  if (key === 'duration') return durationOf(r);
  if (['path', 'task', 'kind', 'status', 'started'].includes(key)) return r[key];
  if (key === 'tags') return r.tags.join(' ');
  return r.metrics[key];
}

function metricColumns(runs) {
  const counts = new Map();
  for (const r of runs) for (const k of Object.keys(r.metrics)) counts.set(k, (counts.get(k) || 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([k]) => k);
}

/** The runs page's drop-down filters: each a field of a run, and of runsState. */
const RUN_FILTERS = ['task', 'status', 'kind'];

function renderRunsPage() {
  main.replaceChildren();
  const selects = RUN_FILTERS.map((field) =>
    h('select', {
      id: `filter-${field}`,
      onchange: (e) => {
        runsState[field] = e.target.value;
        drawRuns();
      },
    }),
  );
  const query = h('input', {
    type: 'search',
    id: 'filter-query',
    placeholder: 'filter: words, task=knots, tag=team=a, started>2026-12-01, duration<60, test_mse<10',
    value: runsState.query,
    oninput: (e) => {
      runsState.query = e.target.value;
      drawRuns();
    },
  });
  const compare = h(
    'button',
    {
      id: 'compare',
      disabled: true,
      onclick: () => {
        location.hash = `#/compare?runs=${[...runsState.selected].map(enc).join(',')}`;
      },
    },
    'Compare selected',
  );
  main.append(
    h('h1', {}, 'Runs'),
    h(
      'div',
      { class: 'filters' },
      query,
      ...RUN_FILTERS.map((field, i) => h('label', {}, `${field} `, selects[i])),
      compare,
      h('span', { id: 'count', class: 'muted' }),
    ),
    h('div', { id: 'runs-table' }),
  );
  return poll(async () => {
    const data = await getJson('/api/runs', { onlyChanged: true });
    if (data) {
      document.getElementById('root').textContent = `${data.root} · sciml ${data.sciml_version}`;
      const fresh = runsState.known ? data.runs.filter((r) => !runsState.known.has(r.path)).map((r) => r.path) : [];
      runsState.known = new Set(data.runs.map((r) => r.path));
      runsState.runs = data.runs;
      runsState.fresh = new Set(fresh);
      RUN_FILTERS.forEach((field, i) =>
        fillSelect(
          selects[i],
          data.runs.map((r) => r[field]),
          runsState[field],
        ),
      );
    }
    // Redrawn when the listing changed, or every poll while a run is running (its duration ticks).
    if (data || (runsState.runs || []).some((r) => r.status === 'running')) drawRuns();
  });
}

function fillSelect(sel, values, current) {
  const options = ['', ...[...new Set(values)].sort()];
  if (sel.options.length === options.length && [...sel.options].every((o, i) => o.value === options[i])) return;
  sel.replaceChildren(...options.map((v) => h('option', { value: v, selected: v === current }, v || 'all')));
}

function drawRuns() {
  const all = runsState.runs || [];
  const test = parseQuery(runsState.query);
  let runs = all.filter(
    (r) =>
      (!runsState.task || r.task === runsState.task) &&
      (!runsState.status || r.status === runsState.status) &&
      (!runsState.kind || r.kind === runsState.kind) &&
      test(r),
  );
  const key = runsState.sort;
  runs = runs.sort((a, b) => {
    const x = sortValue(a, key);
    const y = sortValue(b, key);
    if (x === undefined && y === undefined) return a.path < b.path ? -1 : 1;
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    const c = x < y ? -1 : x > y ? 1 : 0;
    return runsState.desc ? -c : c;
  });
  const metrics = metricColumns(runs);
  const columns = [
    ['path', 'run'],
    ['task', 'task'],
    ['kind', 'kind'],
    ['status', 'status'],
    ['tags', 'tags'],
    ['started', 'started'],
    ['duration', 'duration'],
    ...metrics.map((m) => [m, m]),
  ];
  const head = h(
    'tr',
    {},
    h('th', {}, ''),
    ...columns.map(([k, label]) =>
      h(
        'th',
        {
          class: `sortable ${metrics.includes(k) || k === 'duration' ? 'num' : ''} ${runsState.sort === k ? (runsState.desc ? 'sorted-desc' : 'sorted-asc') : ''}`,
          dataset: { key: k },
          onclick: () => {
            if (runsState.sort === k) runsState.desc = !runsState.desc;
            else {
              runsState.sort = k;
              runsState.desc = k === 'started';
            }
            drawRuns();
          },
        },
        label,
      ),
    ),
  );
  const rows = runs.map((r) =>
    h(
      'tr',
      { class: runsState.fresh.has(r.path) ? 'fresh' : '', dataset: { run: r.path, task: r.task } },
      h(
        'td',
        {},
        h('input', {
          type: 'checkbox',
          checked: runsState.selected.has(r.path),
          onchange: (e) => {
            if (e.target.checked) runsState.selected.add(r.path);
            else runsState.selected.delete(r.path);
            updateCompareButton();
          },
        }),
      ),
      h(
        'td',
        { class: 'path' },
        h('a', { href: r.kind === 'tune' ? `#/tune/${enc(r.path)}` : runHref(r.path) }, r.path),
      ),
      h('td', {}, r.task),
      h('td', {}, r.kind),
      h('td', {}, badge(r.status)),
      h(
        'td',
        {},
        r.tags.map((t) => h('span', { class: 'tag' }, t)),
      ),
      h('td', { class: 'small nowrap' }, fmtTime(r.started)),
      h('td', { class: 'num nowrap' }, fmtDuration(durationOf(r))),
      ...metrics.map((m) => h('td', { class: 'num' }, fmt(r.metrics[m]))),
    ),
  );
  const table = h('table', { id: 'runs' }, h('thead', {}, head), h('tbody', {}, rows));
  document
    .getElementById('runs-table')
    .replaceChildren(
      runs.length
        ? table
        : h(
            'p',
            { class: 'muted' },
            all.length
              ? 'no run matches the filters'
              : 'no run directories here yet: they appear as soon as one starts',
          ),
    );
  document.getElementById('count').textContent = `${runs.length} of ${all.length} runs`;
  updateCompareButton();
}

function updateCompareButton() {
  const button = document.getElementById('compare');
  if (button) button.disabled = runsState.selected.size < 2;
}

/* ---------- curves ---------- */
function curveRows(curves, extra) {
  const rows = [];
  for (const s of curves.series) {
    for (const p of s.points) {
      for (const [metric, value] of Object.entries(p)) {
        if (metric === s.x || !Number.isFinite(value)) continue;
        rows.push(Object.assign({ metric, x: p[s.x], value, series: s.name }, extra));
      }
    }
  }
  return rows;
}

/* ---------- run page ---------- */
/** replaceChildren without the null/false placeholders of optional sections (the DOM would print them). */
function fill(el, ...children) {
  el.replaceChildren(...children.filter((c) => c !== null && c !== undefined && c !== false));
}

function kv(entries) {
  return h(
    'table',
    {},
    h(
      'tbody',
      {},
      entries.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v))),
    ),
  );
}

async function renderRunPage(path) {
  main.replaceChildren(h('p', { class: 'muted' }, 'loading…'));
  const data = await getJson(`/api/run?path=${enc(path)}`);
  const s = data.summary;
  const info = data.run_json || {};
  fill(
    main,
    h('h1', {}, s.path),
    h(
      'div',
      { class: 'facts' },
      h('span', {}, h('b', {}, 'task '), s.task),
      h('span', {}, h('b', {}, 'kind '), s.kind),
      h('span', { id: 'run-status' }, badge(s.status)),
      h('span', {}, h('b', {}, 'started '), fmtTime(s.started)),
      h('span', {}, h('b', {}, 'duration '), fmtDuration(durationOf(s))),
      info.backend ? h('span', {}, h('b', {}, 'backend '), info.backend) : null,
      info.seed !== undefined ? h('span', {}, h('b', {}, 'seed '), info.seed) : null,
      s.tags.length
        ? h(
            'span',
            {},
            s.tags.map((t) => h('span', { class: 'tag' }, t)),
          )
        : null,
      s.parent ? h('span', {}, 'part of ', h('a', { href: runHref(s.parent) }, s.parent)) : null,
      s.kind === 'tune' ? h('a', { href: `#/tune/${enc(s.path)}` }, 'tune view →') : null,
      data.report
        ? h('a', { href: fileHref(s.path, data.report), target: '_blank', rel: 'noopener' }, 'report.html ↗')
        : null,
    ),
    Object.keys(s.metrics).length
      ? h('section', {}, h('h2', {}, 'Headline metrics'), kv(Object.entries(s.metrics).map(([k, v]) => [k, fmt(v)])))
      : null,
    h(
      'section',
      {},
      h('h2', {}, 'Learning curves'),
      h('div', { id: 'curves', class: 'chart' }, h('p', { class: 'muted' }, 'no history file yet')),
    ),
    h('section', { id: 'distributed', hidden: true }),
    data.charts.length
      ? h(
          'section',
          {},
          h('h2', {}, 'Charts'),
          h(
            'div',
            { class: 'grid', id: 'charts' },
            data.charts.map((c) => h('div', { class: 'chart', dataset: { chart: c } })),
          ),
        )
      : null,
    data.report
      ? h(
          'details',
          {},
          h('summary', {}, 'report.html'),
          h('iframe', { class: 'report', src: fileHref(s.path, data.report), sandbox: '', title: 'report' }),
        )
      : null,
    h(
      'div',
      { class: 'cols' },
      h(
        'section',
        {},
        h('h2', {}, data.config ? data.config.name : 'config'),
        h('pre', { id: 'config' }, data.config ? data.config.text : 'no config file'),
      ),
      h('section', {}, h('h2', {}, 'run.json'), h('pre', { id: 'run-json' }, JSON.stringify(data.run_json, null, 2))),
    ),
    Array.isArray(info.inputs) && info.inputs.length
      ? h(
          'section',
          {},
          h('h2', {}, 'Inputs'),
          h(
            'table',
            { id: 'inputs' },
            h('thead', {}, h('tr', {}, h('th', {}, 'path'), h('th', { class: 'num' }, 'bytes'), h('th', {}, 'sha256'))),
            h(
              'tbody',
              {},
              info.inputs.map((i) =>
                h(
                  'tr',
                  {},
                  h('td', { class: 'path' }, i.path),
                  h('td', { class: 'num' }, fmt(i.bytes)),
                  h('td', { class: 'small' }, h('code', {}, i.sha256)),
                ),
              ),
            ),
          ),
        )
      : null,
    data.children.length
      ? h(
          'section',
          {},
          h('h2', {}, `Runs inside (${data.children.length})`),
          h(
            'table',
            {},
            h(
              'tbody',
              {},
              data.children.map((c) =>
                h(
                  'tr',
                  {},
                  h('td', {}, h('a', { href: runHref(c.path) }, c.path)),
                  h('td', {}, badge(c.status)),
                  h(
                    'td',
                    { class: 'small' },
                    Object.entries(c.metrics)
                      .slice(0, 4)
                      .map(([k, v]) => `${k} ${fmt(v)}`)
                      .join(' · '),
                  ),
                ),
              ),
            ),
          ),
        )
      : null,
    h(
      'section',
      {},
      h('h2', {}, 'Files'),
      h(
        'ul',
        { class: 'small' },
        data.files.map((f) =>
          h(
            'li',
            {},
            f.size === null
              ? f.name
              : h('a', { href: fileHref(s.path, f.name), target: '_blank', rel: 'noopener' }, f.name),
            f.size !== null ? h('span', { class: 'muted' }, ` ${fmt(f.size)} B`) : null,
          ),
        ),
      ),
    ),
  );
  for (const el of main.querySelectorAll('[data-chart]')) {
    const name = el.dataset.chart;
    fetch(fileHref(s.path, `charts/${name}.vl.json`), { cache: 'no-store' })
      .then((r) => r.json())
      .then((spec) => Charts.render(el, spec))
      .catch((err) => el.replaceChildren(h('p', { class: 'muted' }, `${name}: ${err.message}`)));
  }
  return poll(async () => {
    const curves = await getJson(`/api/curves?path=${enc(path)}`, { onlyChanged: true });
    if (curves && curves.series.length) {
      const rows = curveRows(curves);
      const x = curves.series[0].x;
      const el = document.getElementById('curves');
      el.dataset.source = curves.source;
      await Charts.render(
        el,
        Object.assign(Charts.curves(rows, { xTitle: x, color: curves.series.length > 1 ? 'series' : undefined }), {
          title: { text: curves.source, anchor: 'start', fontSize: 11, color: '#666' },
        }),
        curves.series.reduce((n, s) => n + s.points.length, 0),
      );
    }
    const rounds = await getJson(`/api/rounds?path=${enc(path)}`, { onlyChanged: true });
    if (rounds && rounds.trainings.length) await drawDistributed(rounds.trainings);
    if (s.status === 'running') {
      const fresh = await getJson(`/api/runs`);
      const now = fresh.runs.find((r) => r.path === path);
      if (now && now.status !== s.status) {
        s.status = now.status;
        document.getElementById('run-status').replaceChildren(badge(now.status));
      }
    }
  });
}

async function drawDistributed(trainings) {
  const box = document.getElementById('distributed');
  box.hidden = false;
  fill(
    box,
    h('h2', {}, 'Distributed training'),
    h(
      'table',
      { id: 'rounds-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['model', 'rounds', 'replicas (last round)', 'lost', 'examples/s', 'bytes moved', 'overhead'].map((c) =>
            h('th', {}, c),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        trainings.map((t) =>
          h(
            'tr',
            {},
            h('td', {}, t.label),
            h('td', { class: 'num' }, t.rounds),
            h('td', { class: 'num' }, fmt(t.replicas)),
            h('td', { class: 'num' }, t.lost),
            h('td', { class: 'num' }, fmt(t.examples_per_s)),
            h('td', { class: 'num' }, `${fmt(t.bytes_moved / 1e6)} MB`),
            h('td', { class: 'num' }, t.overhead_share === undefined ? '–' : `${(100 * t.overhead_share).toFixed(1)}%`),
          ),
        ),
      ),
    ),
    ...trainings.map((t) => h('div', { class: 'chart', dataset: { workers: t.label } })),
  );
  for (const t of trainings) {
    const rows = t.jobs.map((j) => Object.assign({}, j, { seconds: (j.end - j.start) / 1000 }));
    const el = box.querySelector(`[data-workers="${CSS.escape(t.label)}"]`);
    if (rows.length) await Charts.render(el, Charts.workerTimeline(rows, t.label), rows.length);
  }
}

/* ---------- compare ---------- */
async function renderCompare(paths) {
  main.replaceChildren(h('p', { class: 'muted' }, 'loading…'));
  const data = await getJson(`/api/diff?runs=${paths.map(enc).join(',')}`);
  const names = data.runs.map((r) => r.path);
  const tasks = [...new Set(data.runs.map((r) => r.task))];
  const base = names[0];
  const metricKeys = [...new Set(data.diffs.flatMap((d) => d.metrics.map((m) => m.metric)))];
  const byRun = data.diffs.map((d) => new Map(d.metrics.map((m) => [m.metric, m])));
  const pct = (v) =>
    v === undefined || v === null ? '' : ` (${v > 0 ? '+' : ''}${v.toFixed(Math.abs(v) >= 10 ? 1 : 2)}%)`;
  const metricsTable = h(
    'table',
    { id: 'compare-metrics' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'metric'),
        h('th', { class: 'num' }, base),
        ...names.slice(1).map((n) => h('th', { class: 'num' }, `${n} (change vs ${base})`)),
      ),
    ),
    h(
      'tbody',
      {},
      metricKeys.map((k) =>
        h(
          'tr',
          { dataset: { metric: k } },
          h('td', {}, k),
          h('td', { class: 'num', dataset: { value: byRun[0].get(k)?.a ?? '' } }, fmt(byRun[0].get(k)?.a)),
          ...byRun.map((m) => {
            const d = m.get(k) || {};
            return h(
              'td',
              { class: 'num', dataset: { value: d.b ?? '', change: d.change ?? '', changePct: d.change_pct ?? '' } },
              fmt(d.b),
              d.change !== undefined
                ? h('span', { class: 'muted' }, ` ${d.change > 0 ? '+' : ''}${fmt(d.change)}${pct(d.change_pct)}`)
                : null,
            );
          }),
        ),
      ),
    ),
  );
  const paramKeys = [...new Set(data.diffs.flatMap((d) => d.params.map((p) => p.param)))];
  const byParam = data.diffs.map((d) => new Map(d.params.map((p) => [p.param, p])));
  const paramsTable = paramKeys.length
    ? h(
        'table',
        { id: 'compare-params' },
        h('thead', {}, h('tr', {}, h('th', {}, 'param'), ...names.map((n) => h('th', {}, n)))),
        h(
          'tbody',
          {},
          paramKeys.map((k) => {
            const first = byParam.find((m) => m.has(k)).get(k);
            return h(
              'tr',
              { dataset: { param: k } },
              h('td', {}, k),
              h('td', { dataset: { json: JSON.stringify(first.a ?? null) } }, JSON.stringify(first.a ?? null)),
              ...byParam.map((m, i) => {
                const v = m.has(k) ? m.get(k).b : undefined;
                return h(
                  'td',
                  { dataset: { json: m.has(k) ? JSON.stringify(v ?? null) : '' } },
                  m.has(k) ? JSON.stringify(v ?? null) : h('span', { class: 'muted' }, `same as ${names[0]}`),
                );
              }),
            );
          }),
        ),
      )
    : h('p', { class: 'muted', id: 'compare-params' }, 'no config fields differ');
  fill(
    main,
    h('h1', {}, `Compare ${names.length} runs`),
    tasks.length > 1
      ? h(
          'p',
          { id: 'error-inline', class: 'badge failed' },
          `these runs are of different tasks (${tasks.join(', ')}): metrics may not be comparable`,
        )
      : null,
    h(
      'p',
      { class: 'muted' },
      'Changes are each run minus ',
      h('b', {}, base),
      ' (as `sciml diff` prints them). ',
      names.map((n) => h('a', { href: runHref(n), style: 'margin-right:10px' }, n)),
    ),
    h('h2', {}, 'Metrics'),
    metricsTable,
    h('h2', {}, 'Config fields that differ'),
    paramsTable,
    h('h2', {}, 'Learning curves, overlaid'),
    h('div', { id: 'compare-curves', class: 'chart' }, h('p', { class: 'muted' }, 'no history in these runs')),
  );
  return poll(async () => {
    const all = await Promise.all(names.map((n) => getJson(`/api/curves?path=${enc(n)}`)));
    const key = all.map((c) => c.stamp).join('|');
    const el = document.getElementById('compare-curves');
    if (el.dataset.key === key) return;
    el.dataset.key = key;
    const rows = all.flatMap((c, i) => curveRows(c, { run: names[i] }));
    const multiSeries = all.some((c) => c.series.length > 1);
    if (rows.length)
      await Charts.render(
        el,
        Charts.curves(rows, {
          xTitle: all.find((c) => c.series.length).series[0].x,
          color: 'run',
          colorOrder: names,
          dash: multiSeries ? 'series' : undefined,
        }),
        rows.length,
      );
  });
}

/* ---------- tune ---------- */
function scaledRows(configs, metric) {
  const names = [...new Set(configs.flatMap((c) => Object.keys(c.params)))];
  const rows = [];
  const axes = [...names, metric];
  const valueOf = (c, a) => (a === metric ? c.metric : c.params[a]);
  for (const a of axes) {
    const values = configs.map((c) => valueOf(c, a)).filter((v) => v !== undefined && v !== null);
    const numeric = values.every((v) => typeof v === 'number');
    const log =
      numeric && values.length > 1 && Math.min(...values) > 0 && Math.max(...values) / Math.min(...values) > 50;
    const tf = (v) => (log ? Math.log(v) : v);
    const categories = numeric ? [] : [...new Set(values.map(String))].sort();
    const lo = numeric ? Math.min(...values.map(tf)) : 0;
    const hi = numeric ? Math.max(...values.map(tf)) : Math.max(1, categories.length - 1);
    const scale = (v) =>
      numeric
        ? hi > lo
          ? (tf(v) - lo) / (hi - lo)
          : 0.5
        : categories.length > 1
          ? categories.indexOf(String(v)) / (categories.length - 1)
          : 0.5;
    let ticked = new Set();
    for (const c of configs) {
      const v = valueOf(c, a);
      if (v === undefined || v === null || c.metric === null) continue;
      const label = typeof v === 'number' ? fmt(v) : String(v);
      const tick =
        !ticked.has(label) &&
        (numeric
          ? v === values.reduce((m, x) => (tf(x) < tf(m) ? x : m)) ||
            v === values.reduce((m, x) => (tf(x) > tf(m) ? x : m))
          : true);
      if (tick) ticked.add(label);
      rows.push({ config: `${c.seg}/${c.config}`, axis: a, scaled: scale(v), label, metric: c.metric, tick });
    }
  }
  return { rows, axes };
}

function renderTune(path) {
  main.replaceChildren(
    h('h1', {}, `Tune ${path}`),
    h('p', {}, h('a', { href: runHref(path) }, 'run page (report, config, run.json) →')),
    h('div', { id: 'tune-facts', class: 'facts' }),
    h('h2', {}, 'Leaderboard'),
    h('div', { id: 'leaderboard' }),
    h(
      'div',
      { class: 'grid' },
      h('div', { id: 'best-so-far', class: 'chart' }),
      h('div', { id: 'tune-curves', class: 'chart' }),
    ),
    h('div', { id: 'parallel', class: 'chart' }),
  );
  return poll(async () => {
    const t = await getJson(`/api/tune?path=${enc(path)}`, { onlyChanged: true });
    if (!t) return;
    if (t.error) showError(t.error);
    const counts = {};
    for (const c of t.configs) counts[c.state] = (counts[c.state] || 0) + 1;
    document
      .getElementById('tune-facts')
      .replaceChildren(
        h('span', {}, h('b', {}, 'metric '), `${t.metric} (${t.mode})`),
        h('span', {}, h('b', {}, 'segments '), t.segments.join(', ')),
        h('span', {}, h('b', {}, 'rung budgets '), t.budgets.join(', ')),
        h('span', {}, h('b', {}, 'tune '), t.ended ? 'finished' : 'running'),
        h('span', {}, h('b', {}, 'configurations ')),
        ...Object.entries(counts).map(([k, v]) => h('span', {}, badge(k), ` ${v}`)),
      );
    const params = [...new Set(t.configs.flatMap((c) => Object.keys(c.params)))];
    document.getElementById('leaderboard').replaceChildren(
      h(
        'table',
        { id: 'tune-board' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['#', 'segment', 'config', 'state', 'rung', 'epochs', t.metric, 'worker', ...params].map((c, i) =>
              h('th', { class: i === 6 ? 'num' : '' }, c),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          t.configs.map((c, i) =>
            h(
              'tr',
              { dataset: { config: `${c.seg}/${c.config}` } },
              h('td', {}, i + 1),
              h('td', {}, c.seg),
              h('td', {}, c.config),
              h('td', { title: c.error || '' }, badge(c.state)),
              h('td', {}, c.rung),
              h('td', {}, c.epochs),
              h('td', { class: 'num' }, fmt(c.metric)),
              h('td', { class: 'small' }, c.worker || ''),
              ...params.map((p) => h('td', { class: 'small' }, fmt(c.params[p]))),
            ),
          ),
        ),
      ),
    );
    const best = t.best_so_far.flatMap((s) => s.points.map((p) => ({ segment: s.name, t: p.t, best: p.best })));
    if (best.length)
      await Charts.render(
        document.getElementById('best-so-far'),
        Charts.bestSoFar(best, t.metric, t.mode),
        best.length,
      );
    const curveRowsTune = t.configs.flatMap((c) =>
      c.curve
        .filter((p) => p.value !== null)
        .map((p) => ({ config: `${c.seg}/${c.config}`, epoch: p.epoch, value: p.value })),
    );
    if (curveRowsTune.length)
      await Charts.render(
        document.getElementById('tune-curves'),
        Charts.tuneCurves(curveRowsTune, t.budgets, t.metric, 'epochs'),
        curveRowsTune.length,
      );
    const scaled = scaledRows(
      t.configs.filter((c) => c.metric !== null),
      t.metric,
    );
    if (scaled.rows.length)
      await Charts.render(
        document.getElementById('parallel'),
        Charts.parallel(scaled.rows, scaled.axes, t.metric),
        scaled.rows.length,
      );
  });
}

/* ---------- pipelines ---------- */
const STATE_COLORS = {
  ran: '#1d6b3a',
  restored: '#1d6b3a',
  'up-to-date': '#5b8f6e',
  running: '#0b4f8a',
  queued: '#5b8fc7',
  checking: '#5b8fc7',
  failed: '#b3261e',
  skipped: '#b07a00',
  'not-run': '#b07a00',
  waiting: '#999',
  unknown: '#999',
};

function dagSvg(p) {
  const ns = 'http://www.w3.org/2000/svg';
  const level = new Map();
  const ups = new Map(p.stages.map((s) => [s.name, []]));
  for (const [a, b] of p.edges) if (ups.has(b)) ups.get(b).push(a);
  const depth = (n, seen = new Set()) => {
    if (level.has(n)) return level.get(n);
    if (seen.has(n)) return 0;
    seen.add(n);
    const d = Math.max(-1, ...(ups.get(n) || []).filter((u) => ups.has(u)).map((u) => depth(u, seen))) + 1;
    level.set(n, d);
    return d;
  };
  for (const s of p.stages) depth(s.name);
  const columns = [];
  for (const s of p.stages) (columns[level.get(s.name)] ||= []).push(s);
  const W = 190,
    H = 34,
    GX = 60,
    GY = 14;
  const pos = new Map();
  columns.forEach((col, i) => col.forEach((s, j) => pos.set(s.name, { x: 10 + i * (W + GX), y: 10 + j * (H + GY) })));
  const width = 20 + columns.length * (W + GX) - GX;
  const height = 20 + Math.max(...columns.map((c) => c.length)) * (H + GY) - GY;
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', width);
  svg.setAttribute('height', height);
  const el = (tag, attrs, text) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    svg.append(e);
    return e;
  };
  for (const [a, b] of p.edges) {
    const from = pos.get(a),
      to = pos.get(b);
    if (!from || !to) continue;
    const x1 = from.x + W,
      y1 = from.y + H / 2,
      x2 = to.x,
      y2 = to.y + H / 2;
    el('path', {
      d: `M${x1},${y1} C${x1 + GX / 2},${y1} ${x2 - GX / 2},${y2} ${x2},${y2}`,
      fill: 'none',
      stroke: '#aaa',
      'stroke-width': 1.4,
    });
  }
  for (const s of p.stages) {
    const { x, y } = pos.get(s.name);
    const color = STATE_COLORS[s.state] || '#999';
    el('rect', {
      x,
      y,
      width: W,
      height: H,
      rx: 5,
      fill: '#fff',
      stroke: color,
      'stroke-width': s.state === 'running' ? 3 : 1.6,
      'data-stage': s.name,
      'data-state': s.state,
    });
    el('text', { x: x + 8, y: y + 14, 'font-weight': 600 }, s.name.length > 26 ? `${s.name.slice(0, 25)}…` : s.name);
    el(
      'text',
      { x: x + 8, y: y + 28, fill: color },
      `${s.state}${s.duration_s !== undefined ? ` · ${fmtDuration(s.duration_s)}` : ''}`,
    );
  }
  return svg;
}

function renderPipelines() {
  main.replaceChildren(h('h1', {}, 'Pipelines'), h('div', { id: 'pipelines' }, h('p', { class: 'muted' }, 'loading…')));
  return poll(async () => {
    const data = await getJson('/api/pipelines', { onlyChanged: true });
    if (!data) return;
    const box = document.getElementById('pipelines');
    if (!data.pipelines.length) {
      box.replaceChildren(
        h(
          'p',
          { class: 'muted' },
          'No pipeline here: a pipeline shows when --dir holds its lock file (pipelines/<name>.lock, written by `sciml pipeline run` beside the pipeline file), e.g. `sciml ui --dir .` in the project folder.',
        ),
      );
      return;
    }
    fill(
      box,
      ...data.pipelines.map((p) =>
        h(
          'section',
          { dataset: { pipeline: p.lock } },
          h(
            'h2',
            {},
            p.name,
            h(
              'span',
              { class: 'muted small' },
              `  ${p.lock}${p.updated_at ? ` · updated ${fmtTime(p.updated_at)}` : ''}`,
            ),
          ),
          p.error ? h('p', { class: 'badge failed' }, p.error) : null,
          h('div', { class: 'dag' }, dagSvg(p)),
          h('div', { class: 'chart', dataset: { timeline: p.lock } }),
          h(
            'table',
            { class: 'small' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['stage', 'state', 'started', 'duration', 'worker', 'outs'].map((c) => h('th', {}, c)),
              ),
            ),
            h(
              'tbody',
              {},
              p.stages.map((s) =>
                h(
                  'tr',
                  {},
                  h('td', {}, s.name),
                  h('td', {}, badge(s.state)),
                  h('td', {}, fmtTime(s.started_at)),
                  h('td', { class: 'num' }, fmtDuration(s.duration_s)),
                  h('td', {}, s.worker || ''),
                  h(
                    'td',
                    {},
                    s.outs.map((o) => h('div', {}, o.run ? h('a', { href: runHref(o.run) }, o.path) : o.path)),
                  ),
                ),
              ),
            ),
          ),
        ),
      ),
    );
    for (const p of data.pipelines) {
      const rows = p.stages
        .filter((s) => s.started_at && s.latest)
        .map((s) => {
          const end = s.ended_at || new Date().toISOString();
          return {
            stage: s.name,
            state: s.state,
            start: s.started_at,
            end,
            seconds: (Date.parse(end) - Date.parse(s.started_at)) / 1000,
          };
        });
      const el = box.querySelector(`[data-timeline="${CSS.escape(p.lock)}"]`);
      if (rows.length) await Charts.render(el, Charts.timeline(rows), rows.length);
      else
        el.replaceChildren(h('p', { class: 'muted small' }, 'timeline: every stage was up to date in the latest run'));
    }
  });
}

/* ---------- routing ---------- */
async function route() {
  pageToken++;
  clearTimeout(pollTimer);
  // A page draws from its first answer: forget the versions the previous page saw.
  etags.clear();
  cache.clear();
  showError('');
  const hash = location.hash || '#/';
  const [pathPart, queryPart = ''] = hash.slice(1).split('?');
  const query = new URLSearchParams(queryPart);
  for (const a of document.querySelectorAll('[data-nav]'))
    a.classList.toggle('active', (a.dataset.nav === 'pipelines') === pathPart.startsWith('/pipelines'));
  try {
    if (pathPart.startsWith('/run/')) await renderRunPage(decodeURIComponent(pathPart.slice(5)));
    else if (pathPart.startsWith('/tune/')) await renderTune(decodeURIComponent(pathPart.slice(6)));
    else if (pathPart === '/compare') await renderCompare((query.get('runs') || '').split(',').filter(Boolean));
    else if (pathPart === '/pipelines') await renderPipelines();
    else await renderRunsPage();
  } catch (err) {
    main.replaceChildren(h('p', { class: 'badge failed' }, err.message));
  }
}

fetch('/api/theme', { cache: 'no-store' })
  .then((r) => r.json())
  .then((theme) => Charts.setTheme(theme))
  .catch(() => undefined)
  .finally(() => {
    window.addEventListener('hashchange', route);
    route();
  });
