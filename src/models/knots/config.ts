import { z } from 'zod';
import {
  choice,
  fraction,
  nonNegativeInt,
  nonNegativeNumber,
  optionalText,
  positiveInt,
  positiveNumber,
  section,
  taskFields,
  text,
} from '../../config/fields.js';
import { distributedSection } from '../../distributed/config.js';
import { executionSection } from '../../execution/config.js';
import { KNOT_FEATURES, KNOT_TARGET } from '../../data/knots/columns.js';

const ACTIVATIONS = ['relu', 'tanh', 'elu', 'sigmoid', 'softplus'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export const knotsSchema = z.strictObject({
  ...taskFields('knots', 'task kind'),
  data: section(
    {
      path: optionalText(
        'knot table: the published CSV (Davies et al. 2021 columns) or an Arrow file from `sciml data generate knots`, or - for either on stdin; relative to this config. Absent: synthetic knots are generated in memory',
      ),
      synthetic_rows: positiveInt(30000, 'rows of synthetic knots generated when data.path is absent (seeded by seed)'),
      features: z
        .array(z.string({ error: 'expected a column name' }), { error: 'expected a list of column names' })
        .min(1, { error: 'expected at least one feature column' })
        .default([...KNOT_FEATURES])
        .describe('input columns (default: the 17 published invariants)'),
      target: text(KNOT_TARGET, 'target column: an even integer (the knot signature)'),
      validation_fraction: fraction(0.15, 'share of rows held out for early stopping'),
      test_fraction: fraction(0.15, 'share of rows held out for the final test metrics'),
    },
    'where the knots come from and how they are split (by seed)',
  ),
  model: section(
    {
      objective: choice(
        ['regression', 'classification'] as const,
        'regression',
        'regression: MSE on the signature; classification: softmax over the even integers seen in training (as published)',
      ),
      width: positiveInt(32, 'units per hidden layer'),
      depth: positiveInt(3, 'hidden layers'),
      activation: choice(ACTIVATIONS, 'relu', 'hidden-layer activation'),
    },
    'the multilayer perceptron',
  ),
  training: section(
    {
      learning_rate: positiveNumber(0.004, 'Adam learning rate'),
      batch_size: positiveInt(512, 'minibatch size'),
      max_epochs: positiveInt(120, 'upper bound on passes over the training set'),
      weight_decay: nonNegativeNumber(
        5e-4,
        'L2 penalty on the weight matrices (keeps the network flat along directions the data never varies, which salience probes)',
      ),
      patience: positiveInt(
        12,
        'stop after this many epochs without a better validation loss (the best weights are kept)',
      ),
      distributed: distributedSection(),
    },
    'optimization',
  ),
  execution: executionSection('replica jobs of `training.distributed`'),
  salience: section(
    {
      baseline: choice(
        ['training_mean', 'training_median', 'zero'] as const,
        'training_mean',
        'integrated-gradients baseline: the training mean (zero after standardization), the training median, or every raw invariant 0',
      ),
      rule: choice(
        ['trapezoid', 'gauss_legendre'] as const,
        'gauss_legendre',
        'quadrature of the integrated-gradients path integral',
      ),
      steps: positiveInt(32, 'integration steps (trapezoid: intervals; Gauss-Legendre: nodes)'),
      examples: positiveInt(2000, 'test examples attributed by integrated gradients (all when fewer)'),
      top_k: nonNegativeInt(3, 'retrain on this many most salient features and report its test MSE (0: skip)'),
      retrain_method: choice(
        ['gradient', 'integrated_gradients'] as const,
        'gradient',
        'which salience ranking picks the top-k features',
      ),
    },
    'gradient saliency, integrated gradients and the top-k confirmation',
  ),
});

export type KnotsConfig = z.infer<typeof knotsSchema>;
