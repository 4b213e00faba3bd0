import type { BackendChoice } from '../runtime/backend.js';

/** The CLI's global flags (`--json`, `--quiet`, `--backend`), as every command receives them. */
export interface GlobalOptions {
  json: boolean;
  quiet: boolean;
  backend: BackendChoice;
}

/** Reads the global flags once commander has parsed them. */
export type GlobalsOf = () => GlobalOptions;
