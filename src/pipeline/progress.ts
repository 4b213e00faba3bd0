/**
 * Stage progress. tty mode: one line per stage (state and elapsed time), redrawn in place;
 * plain mode: a timestamped line whenever a stage changes state; nothing otherwise.
 */
import type { Logger } from '../runtime/log.js';

export type StageState =
  | 'waiting'
  | 'checking'
  | 'queued'
  | 'running'
  | 'ran'
  | 'restored'
  | 'up-to-date'
  | 'failed'
  | 'skipped'
  | 'not-run';

export class ProgressBoard {
  private readonly states = new Map<string, { state: StageState; since: number; ended?: number }>();
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly stream: NodeJS.WriteStream | undefined;

  constructor(
    private readonly names: string[],
    private readonly log: Logger,
    stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.stream = log.interactive ? stream : undefined;
    for (const n of names) this.states.set(n, { state: 'waiting', since: Date.now() });
    if (this.stream) {
      this.draw();
      this.timer = setInterval(() => this.draw(), 250);
      this.timer.unref();
    }
  }

  set(name: string, state: StageState): void {
    const entry = this.states.get(name)!;
    const finished = ['ran', 'restored', 'up-to-date', 'failed', 'skipped', 'not-run'].includes(state);
    this.states.set(name, {
      state,
      since: state === 'running' ? Date.now() : entry.since,
      ended: finished ? Date.now() : undefined,
    });
    if (this.stream) this.draw();
    else if (this.log.mode === 'plain' && state !== entry.state)
      this.log.progress(`stage ${this.line(name).slice(2).replace(/\s+/g, ' ').trim()}`);
  }

  private line(name: string): string {
    const { state, since, ended } = this.states.get(name)!;
    const showTime = state === 'running' || ((state === 'ran' || state === 'failed') && ended !== undefined);
    const seconds = ((ended ?? Date.now()) - since) / 1000;
    const mark =
      { ran: '✓', restored: '✓', 'up-to-date': '=', failed: '✗', skipped: '-', 'not-run': '-', running: '▶' }[
        state as string
      ] ?? ' ';
    return `${mark} ${name.padEnd(28)} ${state.padEnd(10)}${showTime ? ` ${seconds.toFixed(1)}s` : ''}`;
  }

  private draw(): void {
    const s = this.stream!;
    const width = (s.columns || 100) - 1;
    let out = this.drawn ? `\x1b[${this.drawn}A` : '';
    for (const n of this.names) out += `\x1b[2K${this.line(n).slice(0, width)}\n`;
    this.drawn = this.names.length;
    s.write(out);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.stream) this.draw();
  }
}
