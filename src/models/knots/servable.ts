import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { KnotModelState } from './model.js';
import { igSettings, loadKnotsPredictor, predictKnots } from './predict.js';
import { EXPLAIN_METHODS, type ExplainMethod } from './explain.js';
import { batchTable } from '../../serve/servable.js';
import type { ServableAdapter } from '../../contracts/servable.js';

export const knotsServable: ServableAdapter = {
  describe(where) {
    const state = JSON.parse(readFileSync(join(where.modelDir, 'full.json'), 'utf8')) as KnotModelState;
    const ig = igSettings(where.runDir);
    return {
      task: 'knots',
      inputs: state.features.map((name) => ({ name, type: 'number', nullable: false })),
      options: [
        {
          name: 'explain',
          values: [...EXPLAIN_METHODS],
          description:
            'integrated_gradients: add ig_<feature> attributions (signature units), ig_delta = F(x) - F(baseline) and ig_gap = sum - delta',
        },
      ],
      details: {
        objective: state.objective,
        features: state.features,
        integrated_gradients: {
          rule: ig.rule,
          steps: ig.steps,
          baseline: ig.baseline,
          ...(ig.requested !== ig.baseline
            ? {
                note: `the run used baseline ${ig.requested}, which needs the training rows; serving uses ${ig.baseline}`,
              }
            : {}),
        },
      },
      tensorflow: true,
    };
  },
  async load(where) {
    const predictor = loadKnotsPredictor(where.modelDir, where.runDir);
    return {
      predict: (batch, options) =>
        predictKnots(predictor, batchTable(batch), { explain: options.explain as ExplainMethod | undefined }),
    };
  },
};
