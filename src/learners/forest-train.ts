/**
 * Trains a share of a forest's trees on binned data; runs in the main thread or in a worker
 * (forest-worker.ts). Tree t's randomness depends only on (seed, t), so a forest is the same
 * whatever the number of workers.
 */
import { Random } from '../runtime/random.js';
import type { Binning } from './binning.js';
import { Grower } from './grower.js';
import type { GrowParams } from './splitting.js';
import type { FlatTree } from './tree.js';

interface ForestTreeParams {
  bootstrap: boolean;
  /** Bootstrap draws as a fraction of the rows. */
  maxSamples: number;
  maxDepth: number;
  minSamplesLeaf: number;
  minSamplesSplit: number;
  featuresPerNode: number;
  randomThresholds: boolean;
}

export interface ForestJob {
  rows: number;
  features: number;
  codes: Uint8Array;
  binning: Binning;
  y: Float64Array;
  weight?: Float64Array;
  params: ForestTreeParams;
  seed: number;
  /** Stop starting new trees after this time (epoch ms, comparable across threads); one tree at least. */
  deadlineEpochMs?: number;
}

export interface ForestShare {
  trees: FlatTree[];
  importance: Float64Array;
}

export function treeRandom(seed: number, tree: number): Random {
  return new Random(seed).fork(`tree-${tree}`);
}

export function trainTrees(job: ForestJob, treeIds: number[]): ForestShare {
  const { rows, features, y, weight, params } = job;
  const grower = new Grower({ rows, features, codes: job.codes, binning: job.binning });
  const grad = new Float64Array(rows);
  const hess = new Float64Array(rows);
  const counts = new Float64Array(rows);
  const index = new Int32Array(rows);
  const importance = new Float64Array(features);
  const trees: FlatTree[] = [];
  const draws = Math.max(1, Math.round(params.maxSamples * rows));
  for (const t of treeIds) {
    if (
      trees.length > 0 &&
      job.deadlineEpochMs !== undefined &&
      performance.timeOrigin + performance.now() > job.deadlineEpochMs
    )
      break;
    const rng = treeRandom(job.seed, t);
    let count = 0;
    if (params.bootstrap) {
      counts.fill(0);
      for (let d = 0; d < draws; d++) counts[Math.floor(rng.next() * rows)]++;
      for (let i = 0; i < rows; i++) {
        if (counts[i] === 0) continue;
        const w = weight ? weight[i] * counts[i] : counts[i];
        if (w === 0) continue;
        index[count++] = i;
        grad[i] = w * y[i];
        hess[i] = w;
      }
    } else {
      for (let i = 0; i < rows; i++) {
        const w = weight ? weight[i] : 1;
        if (w === 0) continue;
        index[count++] = i;
        grad[i] = w * y[i];
        hess[i] = w;
      }
    }
    const growParams: GrowParams = {
      maxLeaves: Infinity,
      maxDepth: params.maxDepth,
      minSamplesLeaf: params.minSamplesLeaf,
      minSamplesSplit: params.minSamplesSplit,
      minChildWeight: 0,
      l2: 0,
      minGain: 0,
      randomThresholds: params.randomThresholds,
      featuresPerNode: params.featuresPerNode,
      rng,
    };
    const grown = grower.grow(grad, hess, index, count, growParams, (G, H) => (H > 0 ? G / H : 0), importance);
    trees.push(grown.tree);
  }
  return { trees, importance };
}
