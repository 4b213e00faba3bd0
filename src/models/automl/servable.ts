import { loadModel } from './model.js';
import { loadAutomlPredictor, predictAutoml } from './predict.js';
import { batchTable } from '../../serve/servable.js';
import type { InputField, ServableAdapter } from '../../contracts/servable.js';

/** automl runs and tabular runs (one learner saved in the automl model format). */
export const automlServable: ServableAdapter = {
  describe(where) {
    const { file } = loadModel(where.modelDir);
    const dates = new Set(file.plan.dates.map((d) => d.column));
    const encoded = new Map(file.encoder.columns.map((c) => [c.name, c]));
    const inputs: InputField[] = file.plan.inputs.map((name) => {
      if (dates.has(name)) return { name, type: 'datetime', nullable: true };
      const spec = encoded.get(name);
      if (spec?.kind === 'category') return { name, type: 'category', nullable: true, categories: spec.levels ?? [] };
      return { name, type: 'number', nullable: true };
    });
    return {
      task: where.task,
      inputs,
      options: [],
      details: { target: file.target, problem_type: file.problem?.type ?? 'regression', classes: file.problem?.classes ?? null, metric: file.metric, target_transform: file.transform, final: file.final.type, members: file.members.map((m) => m.name), dropped: file.plan.dropped },
      tensorflow: false,
    };
  },
  async load(where) {
    const model = await loadAutomlPredictor(where.modelDir, { keepMembers: true });
    return { predict: (batch) => predictAutoml(model, batchTable(batch)) };
  },
};
