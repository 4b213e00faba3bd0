/**
 * `<name>.status.json` beside the lock: every stage's live state while `sciml pipeline run` runs
 * (waiting, queued, running, ran, failed, ...), its upstream stages and outs, rewritten atomically
 * on each change (at most every 200 ms), so `sciml ui` can draw the DAG and timeline as it runs.
 */
import { basename } from 'node:path';
import { writeFileAtomic } from '../runtime/atomic.js';
import type { Dag } from './graph.js';
import type { StageState } from './progress.js';

export interface PipelineStatusFile {
  schema: 'sciml-pipeline-status/1';
  pipeline: string;
  started_at: string;
  updated_at: string;
  stages: Record<
    string,
    { state: StageState; upstream: string[]; outs: string[]; started_at?: string; ended_at?: string; worker?: string }
  >;
}

function statusFileOf(lockFile: string): string {
  return lockFile.replace(/\.lock$/, '') + '.status.json';
}

/** Keeps the status file of one pipeline run; `set` is ProgressBoard's listener. */
export class PipelineStatusWriter {
  private readonly status: PipelineStatusFile;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly dag: Dag) {
    const now = new Date().toISOString();
    this.status = {
      schema: 'sciml-pipeline-status/1',
      pipeline: basename(dag.pipeline.file),
      started_at: now,
      updated_at: now,
      stages: Object.fromEntries(
        dag.order.map((s) => [
          s.name,
          { state: 'waiting' as StageState, upstream: dag.upstream.get(s.name) ?? [], outs: s.outs.map((o) => o.path) },
        ]),
      ),
    };
    this.write();
  }

  set(name: string, state: StageState, worker?: string): void {
    const stage = this.status.stages[name];
    if (!stage) return;
    const now = new Date().toISOString();
    stage.state = state;
    if (state === 'running' || (state === 'restored' && !stage.started_at)) stage.started_at = now;
    if (['ran', 'restored', 'failed'].includes(state)) stage.ended_at = now;
    if (worker) stage.worker = worker;
    this.timer ??= setTimeout(() => this.write(), 200);
  }

  close(): void {
    this.write();
  }

  private write(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.status.updated_at = new Date().toISOString();
    try {
      writeFileAtomic(statusFileOf(this.dag.pipeline.lockFile), JSON.stringify(this.status) + '\n');
    } catch {
      // The status file is for watching; a pipeline never fails because it cannot be written.
    }
  }
}
