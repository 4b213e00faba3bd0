import { loadModel } from './model.js';
import { automlInputFields, loadAutomlPredictor, predictAutoml } from './predict.js';
import { batchTable } from '../../serve/servable.js';
import type { ServableAdapter } from '../../contracts/servable.js';

/** automl runs and tabular runs (one learner saved in the automl model format). */
export const automlServable: ServableAdapter = {
  describe(where) {
    const { file } = loadModel(where.modelDir);
    const inputs = automlInputFields(file);
    return {
      task: where.task,
      inputs,
      options: [],
      details: {
        target: file.target,
        problem_type: file.problem?.type ?? 'regression',
        classes: file.problem?.classes ?? null,
        metric: file.metric,
        target_transform: file.transform,
        final: file.final.type,
        members: file.members.map((m) => m.name),
        dropped: file.plan.dropped,
      },
      tensorflow: false,
    };
  },
  async load(where) {
    const model = await loadAutomlPredictor(where.modelDir, { keepMembers: true });
    return { predict: (batch) => predictAutoml(model, batchTable(batch)) };
  },
};
