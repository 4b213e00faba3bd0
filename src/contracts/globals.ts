import type { BackendChoice } from '../runtime/backend.js';
import type { ProgressMode } from '../runtime/log.js';

/** The CLI's global flags (`--json`, `--quiet`, `--backend`), as every command receives them. */
export interface GlobalOptions {
  json: boolean;
  quiet: boolean;
  backend: BackendChoice;
  /** How progress shows on stderr (`--progress`, SCIML_PROGRESS); absent: SCIML_PROGRESS or auto. */
  progress?: ProgressMode;
  /** Labels for the run this command makes (`--tag key=value`), stored in run.json. */
  tags?: Record<string, string>;
}

/** Reads the global flags once commander has parsed them. */
export type GlobalsOf = () => GlobalOptions;
