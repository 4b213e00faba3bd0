import { test } from 'node:test';
import assert from 'node:assert/strict';
import { negotiate } from '../../src/serve/output.js';
import { bearerMatches } from '../../src/serve/http.js';
import { concatBatches } from '../../src/serve/batcher.js';
import { sliceRows } from '../../src/data/predictions.js';
import { ServeMetrics } from '../../src/serve/metrics.js';
import { batchFromJson } from '../../src/serve/input.js';
import { HttpProblem } from '../../src/serve/problem.js';
import { parsePrometheus } from './helpers.js';

test('Accept negotiation: q-values and wildcards; the request format by default; 406 when nothing fits', () => {
  assert.equal(negotiate(undefined, 'arrow-stream'), 'arrow-stream');
  assert.equal(negotiate('*/*', 'columns'), 'columns');
  assert.equal(negotiate('application/*', 'arrow-file'), 'arrow-file');
  assert.equal(negotiate('application/json', 'arrow-stream'), 'rows');
  assert.equal(negotiate('application/json', 'columns'), 'columns');
  assert.equal(negotiate('application/json;q=0.5, application/vnd.apache.arrow.stream', 'rows'), 'arrow-stream');
  assert.equal(negotiate('text/html, */*;q=0.1', 'rows'), 'rows');
  assert.equal(negotiate('application/vnd.apache.arrow.file;q=0, */*', 'arrow-file'), 'rows');
  assert.throws(
    () => negotiate('text/html', 'rows'),
    (e: unknown) => e instanceof HttpProblem && e.status === 406,
  );
});

test('bearer tokens: exact match only, whatever the lengths', () => {
  assert.ok(bearerMatches('Bearer abc', 'abc'));
  assert.ok(bearerMatches('bearer   abc ', 'abc'));
  for (const h of [undefined, '', 'abc', 'Bearer ', 'Bearer ab', 'Bearer abcd', 'Basic abc', 'Bearer abc def'])
    assert.equal(bearerMatches(h, 'abc'), false, String(h));
});

test('batches concatenate and predictions slice back per request', () => {
  const a = {
    rows: 2,
    columns: [
      { name: 'x', kind: 'number' as const, values: Float64Array.of(1, 2) },
      { name: 's', kind: 'string' as const, values: ['a', null] },
      { name: 't', kind: 'trace' as const, length: 2, values: Float32Array.of(1, 2, 3, 4) },
    ],
  };
  const b = {
    rows: 1,
    columns: [
      { name: 'x', kind: 'number' as const, values: Float64Array.of(3) },
      { name: 's', kind: 'string' as const, values: ['c'] },
      { name: 't', kind: 'trace' as const, length: 2, values: Float32Array.of(5, 6) },
    ],
  };
  const m = concatBatches([a, b]);
  assert.equal(m.rows, 3);
  assert.deepEqual(Array.from(m.columns[0].values as Float64Array), [1, 2, 3]);
  assert.deepEqual(m.columns[1].values, ['a', null, 'c']);
  assert.deepEqual(Array.from(m.columns[2].values as Float32Array), [1, 2, 3, 4, 5, 6]);
  const p = sliceRows(
    {
      rows: 3,
      columns: [
        { name: 'v', kind: 'vector', length: 2, values: Float32Array.of(1, 2, 3, 4, 5, 6) },
        { name: 'y', kind: 'float64', values: Float64Array.of(7, 8, 9) },
      ],
    },
    2,
    3,
  );
  assert.equal(p.rows, 1);
  assert.deepEqual(Array.from(p.columns[0].values as Float32Array), [5, 6]);
  assert.deepEqual(Array.from(p.columns[1].values as Float64Array), [9]);
});

test('JSON validation collects problems per row and field, and caps them', () => {
  const fields = [{ name: 'x', type: 'number' as const, nullable: false }];
  const rows = Array.from({ length: 50 }, () => ({ x: 'no' }));
  try {
    batchFromJson({ rows }, fields);
    assert.fail('expected a problem');
  } catch (e) {
    assert.ok(e instanceof HttpProblem);
    assert.equal(e.errors.length, 20);
    assert.deepEqual(e.errors[3], { row: 3, field: 'x', message: 'expected a number, got "no"' });
    assert.match(e.detail, /\(and more problems; the first 20 are listed\)/);
  }
  assert.equal(batchFromJson({ rows: [{ x: 1, extra: 'ignored' }] }, fields).batch.rows, 1);
});

test('the metrics render as Prometheus text with escaped labels', () => {
  const m = new ServeMetrics({ queuedRows: () => 3, inFlight: () => 1, ready: () => true });
  m.requests.inc({ route: '/a"b\\c', method: 'GET', status: '200' });
  m.latency.observe(0.003, { route: '/x' });
  m.latency.observe(100, { route: '/x' });
  const s = parsePrometheus(m.render());
  assert.equal(s.get('sciml_http_requests_total{route="/a\\"b\\\\c",method="GET",status="200"}'), 1);
  assert.equal(s.get('sciml_http_request_duration_seconds_bucket{route="/x",le="0.005"}'), 1);
  assert.equal(s.get('sciml_http_request_duration_seconds_bucket{route="/x",le="+Inf"}'), 2);
  assert.equal(s.get('sciml_queue_rows'), 3);
});
