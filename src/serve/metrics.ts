/** Prometheus text exposition (version 0.0.4) for /metrics: counters, gauges and histograms with labels. */

type Labels = Record<string, string>;

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`).join(',')}}`;
}

function number(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return Number.isNaN(v) ? 'NaN' : String(v);
}

interface Metric {
  render(): string;
}

class Counter implements Metric {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    const entry = this.values.get(key);
    if (entry) entry.value += by;
    else this.values.set(key, { labels, value: by });
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.values.values())
      lines.push(`${this.name}${labelText(labels)} ${number(value)}`);
    return lines.join('\n');
  }
}

export class Gauge implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => number,
  ) {}
  render(): string {
    return [
      `# HELP ${this.name} ${this.help}`,
      `# TYPE ${this.name} gauge`,
      `${this.name} ${number(this.read())}`,
    ].join('\n');
  }
}

class Histogram implements Metric {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: number[],
  ) {}
  observe(value: number, labels: Labels = {}): void {
    const key = labelText(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels, counts: new Array(this.buckets.length).fill(0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) s.counts[i]++;
    s.sum += value;
    s.count++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) =>
        lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: number(b) })} ${s.counts[i]}`),
      );
      lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`);
      lines.push(`${this.name}_sum${labelText(s.labels)} ${number(s.sum)}`);
      lines.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return lines.join('\n');
  }
}

export const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The serving metrics. */
export class ServeMetrics {
  readonly requests = new Counter('sciml_http_requests_total', 'HTTP requests by route, method and status code');
  readonly latency = new Histogram(
    'sciml_http_request_duration_seconds',
    'HTTP request latency by route',
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  );
  readonly rows = new Counter('sciml_rows_predicted_total', 'rows (or traces) predicted');
  readonly batchRows = new Histogram(
    'sciml_batch_rows',
    'rows per model call (after micro-batching)',
    [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192],
  );
  readonly batchRequests = new Histogram(
    'sciml_batch_requests',
    'requests merged into one model call',
    [1, 2, 4, 8, 16, 32, 64, 128],
  );
  readonly inference = new Histogram(
    'sciml_inference_duration_seconds',
    'time of one model call in the inference worker',
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  private readonly gauges: Gauge[];

  constructor(state: { queuedRows: () => number; inFlight: () => number; ready: () => boolean }) {
    this.gauges = [
      new Gauge('sciml_queue_rows', 'rows waiting for an inference worker', state.queuedRows),
      new Gauge('sciml_requests_in_flight', 'HTTP requests being handled', state.inFlight),
      new Gauge('sciml_ready', '1 when the model is loaded and the server accepts predictions', () =>
        state.ready() ? 1 : 0,
      ),
    ];
  }

  render(): string {
    return (
      [this.requests, this.latency, this.rows, this.batchRows, this.batchRequests, this.inference, ...this.gauges]
        .map((m) => m.render())
        .join('\n') + '\n'
    );
  }
}
