/**
 * Finds the trained model behind a path a user gives (`sciml predict --model`, `sciml serve`):
 * a run directory or its model/ folder. The task comes from the run's config.yaml when there is
 * one, otherwise from the files the model folder holds.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from './errors.js';
import { taskField } from '../config/load.js';

export interface ModelLocation {
  task: string;
  /** The model/ folder. */
  modelDir: string;
  /** The run directory (the model folder's parent) when it looks like one, else undefined. */
  runDir?: string;
  /** The run's name (its directory name), for /v1/model and logs. */
  runId: string;
}

/** A file whose presence in a model folder names its task (families' `modelMarker`). */
export interface ModelMarker {
  file: string;
  task: string;
}

function taskOfConfig(runDir: string): string | undefined {
  const file = join(runDir, 'config.yaml');
  if (!existsSync(file)) return undefined;
  return taskField(readFileSync(file, 'utf8'));
}

/** A model folder's task from its files: a family's marker, else the `sciml-<task>-model` format of model.json. */
function taskOfModelFiles(modelDir: string, markers: ModelMarker[]): string | undefined {
  for (const { file, task } of markers) if (existsSync(join(modelDir, file))) return task;
  const modelJson = join(modelDir, 'model.json');
  if (existsSync(modelJson)) {
    try {
      const format = (JSON.parse(readFileSync(modelJson, 'utf8')) as { format?: string }).format;
      if (typeof format === 'string' && format.startsWith('sciml-'))
        return format.slice('sciml-'.length).replace(/-model$/, '');
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * A tune run, or one of its best/<segment>/ folders: the refitted winner (`sciml tune --refit`)
 * is a run directory; without the refit there is only a checkpoint, and the error says what to run.
 */
function tuneWinner(path: string, target: string): string | undefined {
  const isTuneRun = (dir: string) => existsSync(join(dir, 'tune.yaml')) && existsSync(join(dir, 'trials.jsonl'));
  const refitted = (dir: string) => existsSync(join(dir, 'run.json')) && existsSync(join(dir, 'model'));
  if (isTuneRun(target)) {
    const best = join(target, 'best');
    const segments = existsSync(best) ? readdirSync(best).filter((s) => statSync(join(best, s)).isDirectory()) : [];
    if (segments.length === 0)
      throw new UserError(`${path}: a tune run without a winner (no best/ folder): nothing to predict with`);
    if (segments.length > 1)
      throw new UserError(
        `${path}: a tune run with ${segments.length} segments: give one winner, e.g. ${join(path, 'best', segments[0])} (segments: ${segments.join(', ')})`,
      );
    const dir = join(best, segments[0]);
    if (!refitted(dir))
      throw new UserError(
        `${path}: the tune winner in ${join(path, 'best', segments[0])} is a trial checkpoint, not a trained model: train it with sciml tune --resume ${path} --refit`,
      );
    return dir;
  }
  if (basename(dirname(target)) === 'best' && isTuneRun(dirname(dirname(target))) && !refitted(target)) {
    throw new UserError(
      `${path}: a tune winner's trial checkpoint, not a trained model: train it with sciml tune --resume ${dirname(dirname(path))} --refit (or sciml train ${join(path, 'config.yaml')})`,
    );
  }
  return undefined;
}

export function locateModel(path: string, markers: ModelMarker[] = []): ModelLocation {
  const given = resolve(path);
  if (!existsSync(given)) throw new UserError(`${path}: no such run directory or model folder`);
  if (!statSync(given).isDirectory())
    throw new UserError(`${path}: expected a run directory or its model/ folder, got a file`);
  const target = tuneWinner(path, given) ?? given;
  const nested = join(target, 'model');
  const hasNested = existsSync(nested) && statSync(nested).isDirectory();
  const modelDir = hasNested ? nested : target;
  const parent = dirname(target);
  const runDir = hasNested
    ? target
    : existsSync(join(parent, 'run.json')) || existsSync(join(parent, 'config.yaml'))
      ? parent
      : undefined;
  const task = (runDir && taskOfConfig(runDir)) ?? taskOfModelFiles(modelDir, markers);
  if (!task)
    throw new UserError(
      `${path}: expected a run directory of sciml train (with config.yaml and model/) or its model/ folder; found neither a config naming the task nor a known model file`,
    );
  return { task, modelDir, runDir, runId: basename(runDir ?? modelDir) };
}
