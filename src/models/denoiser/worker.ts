/** A worker thread holding one model replica for ReplicaPool (parallel.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../../runtime/backend.js';
import { setNativeThreads } from '../../runtime/native/backend.js';
import { Replica } from './replica.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './parallel.js';

const port = parentPort!;
const init = workerData as WorkerInit;

function reply(msg: WorkerReply): void {
  port.postMessage(msg);
}

async function start(): Promise<void> {
  await initBackend(init.backend);
  setNativeThreads(init.engineThreads);
  const data = { length: init.length, noisy: new Float32Array(init.noisy), signal: new Float32Array(init.signal) };
  const replica = new Replica(init.arch, init.seed, data);
  const params = new Float32Array(init.params);
  const grads = new Float32Array(init.grads);
  port.on('message', (msg: WorkerRequest) => {
    try {
      replica.load(params, msg.version);
      if (msg.type === 'grad') reply({ type: 'result', id: msg.id, value: replica.gradients(msg.indices, msg.denominator, grads) });
      else {
        const { sse, hits } = replica.validate(msg.indices, msg.batchSize, msg.tolerance);
        reply({ type: 'result', id: msg.id, value: sse, hits });
      }
    } catch (err) {
      reply({ type: 'error', id: msg.id, message: (err as Error).message, stack: (err as Error).stack });
    }
  });
  reply({ type: 'ready' });
}

start().catch((err: Error) => reply({ type: 'error', message: err.message, stack: err.stack }));
