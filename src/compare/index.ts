/** `sciml runs` and `sciml diff`: run directories side by side, for people and for CI. */
export { listRuns, type RunsRequest } from './list.js';
export { diffCommand, diffRuns, parseGate, failedGates, formatDiff } from './diff.js';
export { readRun, findRuns, type RunRecord } from './read.js';
