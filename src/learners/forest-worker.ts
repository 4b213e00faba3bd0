/** Worker entry: trains the trees it is given and posts them back (typed arrays transferred). */
import { parentPort, workerData } from 'node:worker_threads';
import { trainTrees, type ForestJob } from './forest-train.js';

const { job, treeIds } = workerData as { job: ForestJob; treeIds: number[] };
const share = trainTrees(job, treeIds);
const transfer: ArrayBuffer[] = [share.importance.buffer as ArrayBuffer];
for (const tree of share.trees) {
  for (const array of Object.values(tree)) transfer.push((array as ArrayBufferView).buffer as ArrayBuffer);
}
parentPort!.postMessage(share, transfer);
