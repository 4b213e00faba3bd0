/** The execution seam: jobs (trials, stages) submitted to an executor, local or remote. */
export type {
  Job,
  JobOutcome,
  JobStatus,
  JobContext,
  JobResult,
  JobHandler,
  JobTable,
  Executor,
  SubmitOptions,
} from './job.js';
export { loadJobHandler } from './job.js';
export { LocalExecutor, type LocalExecutorOptions } from './local.js';
export { createExecutor, type ExecutorRequest } from './create.js';
export { packDir, unpackDir, blobHash } from './files.js';
export { isRedisUrl, parseRedisUrl, redactRedisUrl, type RedisTarget } from './redis-url.js';
export { packRecord, unpackRecord } from './codec.js';
