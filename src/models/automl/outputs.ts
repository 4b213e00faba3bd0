/** Writing an automl run's files: the model folder, the holdout predictions and the trial log. */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunDir } from '../../runtime/rundir.js';
import { arrowFileBytes, arrowTable, float64Column, int32Column, utf8Column } from '../../data/arrow.js';
import { MODEL_FORMAT, MODEL_VERSION, type ModelFile } from './model.js';
import { writeMemberFile } from './trial-common.js';
import type { Prepared } from '../../tabular/prepare.js';
import type { TrialRecord } from './search-run.js';
import { memberName, type Candidate, type EnsembleChoice } from './choose.js';
import type { DataTable } from '../../data/table.js';
import { parseDateTime, type FeaturePlan } from '../../tabular/features.js';
import type { Vector } from 'apache-arrow';
import { argmaxRows } from '../../learners/classifier.js';

/** A trials.jsonl line: everything but the predictions. */
export function trialLine(r: TrialRecord): Omit<TrialRecord, 'result'> & { model: string } {
  const { result: _result, ...rest } = r;
  return { model: memberName(r), ...rest, loss: Number.isFinite(r.loss) ? r.loss : (null as unknown as number) };
}

/** predictions.arrow: holdout row, truth, final prediction, time/hour when known, and per-model predictions. */
export function writePredictions(
  run: RunDir,
  prep: Pick<Prepared, 'testTable' | 'plan' | 'testRows' | 'ytest'>,
  prediction: Float64Array,
  others: { name: string; test: Float64Array }[],
): void {
  const { time, hour } = timeColumns(prep.testTable, prep.plan);
  const columns: Record<
    string,
    ReturnType<typeof float64Column> | ReturnType<typeof int32Column> | ReturnType<typeof utf8Column>
  > = {
    row: int32Column(prep.testRows),
    y: float64Column(prep.ytest),
    prediction: float64Column(prediction),
  };
  if (time) columns.time = utf8Column(time);
  if (hour) columns.hour = float64Column(hour);
  for (const m of others) columns[`pred_${m.name}`] = float64Column(m.test);
  run.writeBytes('predictions.arrow', arrowFileBytes(arrowTable(columns)));
}

/**
 * A classifier's columns: `prediction` (the most probable class's label) and `proba_<class>` for
 * each class, from row-major probabilities.
 */
export function classColumns(proba: Float64Array, classes: string[]): Record<string, Vector> {
  const K = classes.length;
  const labels = Array.from(argmaxRows(proba, K), (k) => classes[k]);
  const columns: Record<string, Vector> = { prediction: utf8Column(labels) };
  classes.forEach(
    (c, k) =>
      (columns[`proba_${c}`] = float64Column(
        Float64Array.from({ length: proba.length / K }, (_, i) => proba[i * K + k]),
      )),
  );
  return columns;
}

/** predictions.arrow of a classification run: holdout row, true label, prediction, probabilities, and each model's predicted label. */
export function writeClassPredictions(
  run: RunDir,
  prep: Prepared,
  best: EnsembleChoice,
  others: { name: string; test: Float64Array }[],
): void {
  const classes = prep.problem.classes!;
  const columns: Record<string, Vector> = {
    row: int32Column(prep.testRows),
    y: utf8Column(Array.from(prep.ytest, (k) => classes[k])),
    ...classColumns(best.test, classes),
  };
  for (const m of others)
    columns[`pred_${m.name}`] = utf8Column(Array.from(argmaxRows(m.test, classes.length), (k) => classes[k]));
  run.writeBytes('predictions.arrow', arrowFileBytes(arrowTable(columns)));
}

/** model/: model.json and the fold models of the members the final model needs (moved from the candidates). */
export function saveModel(
  run: RunDir,
  prep: Prepared,
  transform: ModelFile['transform'],
  candidates: Candidate[],
  best: EnsembleChoice,
  metric: string,
): ModelFile {
  const modelDir = run.file('model');
  mkdirSync(join(modelDir, 'members'), { recursive: true });
  const members = best.members.map((i) => {
    const c = candidates[i];
    const file = `members/trial-${c.record.id}.json.gz`;
    writeMemberFile(join(modelDir, file), readFileSync(c.record.result!.modelFile!));
    rmSync(c.record.result!.modelFile!);
    c.record.result!.modelFile = join(modelDir, file);
    return { id: c.record.id, name: c.name, file };
  });
  const model: ModelFile = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    target: prep.target,
    metric,
    transform,
    plan: prep.plan,
    encoder: prep.encoder.toJSON(),
    clamp_min: prep.clampMin,
    members,
    final: best.final,
    problem: prep.problem,
  };
  run.writeJson('model/model.json', model);
  return model;
}

/** A time stamp (ISO text) and hour of day for each holdout row, when the table has them. */
function timeColumns(table: DataTable, plan: FeaturePlan): { time: string[] | null; hour: Float64Array | null } {
  const hourColumn = table.columns.find((c) => c.kind === 'number' && /^(hr|hour|hour_of_day)$/i.test(c.name));
  const dateName = plan.dates[0]?.column;
  const dateColumn = dateName ? table.columns.find((c) => c.name === dateName) : undefined;
  let hour: Float64Array | null =
    hourColumn && hourColumn.kind === 'number' ? Float64Array.from(hourColumn.values) : null;
  let time: string[] | null = null;
  if (dateColumn) {
    time = [];
    const fromDates = new Float64Array(table.numRows).fill(NaN);
    let dateHasTime = false;
    for (let i = 0; i < table.numRows; i++) {
      const cell = dateColumn.kind === 'string' ? dateColumn.values[i] : String(dateColumn.values[i]);
      const dt = cell === null ? undefined : parseDateTime(cell);
      if (!dt) {
        time.push('');
        continue;
      }
      if (dt.hasTime) dateHasTime = true;
      fromDates[i] = dt.hour;
      const ms = dt.hasTime || !hour ? dt.ms : dt.ms + hour[i] * 3_600_000;
      time.push(new Date(ms).toISOString().replace('.000Z', ''));
    }
    if (!hour && dateHasTime) hour = fromDates;
  }
  return { time, hour };
}
