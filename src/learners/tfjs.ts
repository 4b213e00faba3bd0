/**
 * tfjs, loaded on first use rather than at import: loading it takes about a second, which every
 * process importing the learner registry (AutoML worker threads, `sciml predict`) would otherwise
 * pay even when no MLP runs. `require` returns the same instance runtime/backend.ts imports (the
 * package's entry point is CommonJS), so the backend initBackend() set up is the one used here.
 */
import { createRequire } from 'node:module';
import type * as TF from '@tensorflow/tfjs';

let instance: typeof TF | undefined;

export function tfjs(): typeof TF {
  return (instance ??= createRequire(import.meta.url)('@tensorflow/tfjs') as typeof TF);
}
