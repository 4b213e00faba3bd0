/**
 * The stage graph: an edge from the stage that writes an out to every stage with a dep on it (or
 * on a file inside it). Cycles, two stages writing one path, and deps that nothing makes and that
 * do not exist are user errors naming the stages and file:line.
 */
import { existsSync } from 'node:fs';
import { UserError, locatedError } from '../runtime/errors.js';
import { hint } from '../config/didyoumean.js';
import type { PathRef, Pipeline, Stage } from './parse.js';

export interface Dag {
  pipeline: Pipeline;
  /** Stages in a topological order (file order among independent ones). */
  order: Stage[];
  byName: Map<string, Stage>;
  upstream: Map<string, string[]>;
  downstream: Map<string, string[]>;
  /** The stage that makes a dep, if any. */
  producerOf(dep: PathRef): Stage | undefined;
  /** Every stage of the file, in order: the lock keeps entries of stages a target selection left out. */
  allStages: string[];
}

/** True when a and b are the same path or one lies inside the other. */
function overlaps(a: string, b: string): boolean {
  return a === b || a === '.' || b === '.' || a.startsWith(b + '/') || b.startsWith(a + '/');
}

function at(p: Pipeline, ref: { line?: number } | undefined, stage: Stage): string {
  const line = ref?.line ?? stage.line;
  return line !== undefined ? `${p.file}:${line}` : p.file;
}

/** Metrics files outside the stage's outs are outs of their own. */
function withMetricOuts(stage: Stage): Stage {
  const inside = (path: string, folder: string) => path === folder || folder === '.' || path.startsWith(folder + '/');
  const extra = stage.metrics.filter((m) => !stage.outs.some((o) => inside(m.path, o.path)));
  return extra.length ? { ...stage, outs: [...stage.outs, ...extra] } : stage;
}

/** `requireDeps: false` (for drawing) skips the check that deps nothing makes exist. */
export function buildDag(pipeline: Pipeline, options: { requireDeps?: boolean } = {}): Dag {
  const stages = pipeline.stages.map(withMetricOuts);
  const byName = new Map<string, Stage>();
  for (const s of stages) {
    const twin = byName.get(s.name);
    if (twin)
      throw locatedError(
        pipeline.file,
        s.line,
        `stages.${s.name}`,
        `two stages are named '${s.name}' (the other at line ${twin.line}): foreach/matrix values must give distinct names`,
      );
    byName.set(s.name, s);
  }
  // Two writers of one path (or of nested paths) make the result depend on who ran last.
  const writers: { stage: Stage; out: PathRef }[] = [];
  for (const stage of stages) {
    for (const out of stage.outs) {
      const clash = writers.find((w) => overlaps(w.out.path, out.path));
      if (clash) {
        const same = clash.stage.name === stage.name;
        throw new UserError(
          `${at(pipeline, out, stage)}: stages.${stage.name}.outs: ${out.path} ` +
            `${clash.out.path === out.path ? 'is' : `overlaps ${clash.out.path}, which is`} also an out of ` +
            `${same ? 'the same stage' : `stage '${clash.stage.name}'`} (${at(pipeline, clash.out, clash.stage)}): every ` +
            `path has one writer`,
        );
      }
      writers.push({ stage, out });
    }
  }
  const producerOf = (dep: PathRef) => writers.find((w) => overlaps(w.out.path, dep.path))?.stage;
  const upstream = new Map<string, string[]>(stages.map((s) => [s.name, []]));
  const downstream = new Map<string, string[]>(stages.map((s) => [s.name, []]));
  for (const stage of stages) {
    for (const dep of stage.deps) {
      const producer = producerOf(dep);
      if (!producer) {
        if (options.requireDeps !== false && !existsSync(dep.abs))
          throw new UserError(
            `${at(pipeline, dep, stage)}: stages.${stage.name}.deps: ${dep.path} does not exist and no stage has it as an out`,
          );
        continue;
      }
      if (producer.name === stage.name)
        throw new UserError(
          `${at(pipeline, dep, stage)}: stages.${stage.name}: cycle: the stage depends on its own out ${dep.path}`,
        );
      if (!upstream.get(stage.name)!.includes(producer.name)) {
        upstream.get(stage.name)!.push(producer.name);
        downstream.get(producer.name)!.push(stage.name);
      }
    }
  }
  const order = topologicalOrder(pipeline, stages, upstream, downstream);
  return { pipeline, order, byName, upstream, downstream, producerOf, allStages: order.map((s) => s.name) };
}

/**
 * The targets and every stage upstream of them. A target is a stage name (`train@uniform`) or a
 * stage of the file before expansion (`train`: all its foreach/matrix instances).
 */
export function selectStages(dag: Dag, targets: string[]): Dag {
  if (targets.length === 0) return dag;
  const wanted = new Set<string>();
  const visit = (name: string) => {
    if (wanted.has(name)) return;
    wanted.add(name);
    for (const u of dag.upstream.get(name)!) visit(u);
  };
  for (const target of targets) {
    const matches = dag.order.filter((s) => s.name === target || s.name.split('@')[0] === target);
    if (!matches.length) {
      const names = [...new Set(dag.order.flatMap((s) => [s.name, s.name.split('@')[0]]))];
      throw new UserError(
        `${dag.pipeline.file}: no stage '${target}'${hint(target, names)}; stages: ${dag.order.map((s) => s.name).join(', ')}`,
      );
    }
    for (const m of matches) visit(m.name);
  }
  const order = dag.order.filter((s) => wanted.has(s.name));
  return { ...dag, order, byName: new Map(order.map((s) => [s.name, s])) };
}

function topologicalOrder(
  pipeline: Pipeline,
  stages: Stage[],
  upstream: Map<string, string[]>,
  downstream: Map<string, string[]>,
): Stage[] {
  const waiting = new Map(stages.map((s) => [s.name, upstream.get(s.name)!.length]));
  const order: Stage[] = [];
  const byName = new Map(stages.map((s) => [s.name, s]));
  let ready = stages.filter((s) => waiting.get(s.name) === 0);
  while (ready.length) {
    const next: Stage[] = [];
    for (const s of ready) {
      order.push(s);
      for (const d of downstream.get(s.name)!) {
        waiting.set(d, waiting.get(d)! - 1);
        if (waiting.get(d) === 0) next.push(byName.get(d)!);
      }
    }
    ready = next.sort((a, b) => stages.indexOf(a) - stages.indexOf(b));
  }
  if (order.length === stages.length) return order;
  const cycle = findCycle(
    stages.filter((s) => waiting.get(s.name)! > 0).map((s) => s.name),
    upstream,
  );
  const first = byName.get(cycle[0])!;
  const lines = cycle
    .slice(0, -1)
    .map((n) => `${n} (line ${byName.get(n)!.line ?? '?'})`)
    .join(', ');
  throw new UserError(
    `${at(pipeline, undefined, first)}: stages: cycle ${cycle.join(' -> ')}: each needs an out of the next; stages ${lines}`,
  );
}

/** A cycle among the stuck stages, following deps backwards: [a, b, ..., a]. */
function findCycle(stuck: string[], upstream: Map<string, string[]>): string[] {
  const inStuck = new Set(stuck);
  const path: string[] = [];
  const onPath = new Set<string>();
  const visit = (n: string): string[] | undefined => {
    path.push(n);
    onPath.add(n);
    for (const u of upstream.get(n)!) {
      if (!inStuck.has(u)) continue;
      if (onPath.has(u)) return [...path.slice(path.indexOf(u)), u].reverse();
      const found = visit(u);
      if (found) return found;
    }
    path.pop();
    onPath.delete(n);
    return undefined;
  };
  return visit(stuck[0]) ?? stuck;
}

/** Stage depth (longest chain of upstream stages), for drawing. */
export function depths(dag: Dag): Map<string, number> {
  const depth = new Map<string, number>();
  for (const s of dag.order)
    depth.set(s.name, Math.max(-1, ...dag.upstream.get(s.name)!.map((u) => depth.get(u)!)) + 1);
  return depth;
}

export function edges(dag: Dag): [string, string][] {
  return dag.order.flatMap((s) => dag.upstream.get(s.name)!.map((u) => [u, s.name] as [string, string]));
}

export function mermaid(dag: Dag, states?: Map<string, string>): string {
  const id = new Map(dag.order.map((s, i) => [s.name, `s${i}`]));
  const lines = ['flowchart TD'];
  for (const s of dag.order)
    lines.push(
      `  ${id.get(s.name)}["${s.name.replace(/"/g, '#quot;')}${states?.has(s.name) ? `<br/>${states.get(s.name)}` : ''}"]`,
    );
  for (const [a, b] of edges(dag)) lines.push(`  ${id.get(a)} --> ${id.get(b)}`);
  return lines.join('\n') + '\n';
}

export function dot(dag: Dag): string {
  const q = (s: string) => `"${s.replace(/["\\]/g, '\\$&')}"`;
  const lines = ['digraph pipeline {', '  rankdir=TB;', '  node [shape=box];'];
  for (const s of dag.order) lines.push(`  ${q(s.name)};`);
  for (const [a, b] of edges(dag)) lines.push(`  ${q(a)} -> ${q(b)};`);
  lines.push('}');
  return lines.join('\n') + '\n';
}
