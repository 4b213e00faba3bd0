/**
 * The `training.distributed` config section every neural family shares: data-parallel replicas
 * trained by local SGD with periodic averaging (see driver.ts). Where the replicas run is the
 * `execution:` section (`--executor`), the same as for tune trials and pipeline stages.
 */
import { z } from 'zod';
import { choice, fractionOrZero, nonNegativeInt, positiveInt, positiveNumber, section } from '../config/fields.js';

const OUTER_OPTIMIZERS = ['average', 'nesterov'] as const;
export type OuterOptimizer = (typeof OUTER_OPTIMIZERS)[number];

export const distributedSection = () =>
  section(
    {
      replicas: positiveInt(
        1,
        'data-parallel model replicas, each training on its own shard of the training data (`--replicas N`); 1: ordinary single-process training. The result depends on the replica count, never on which worker ran which replica',
      ),
      rounds_per_epoch: positiveInt(
        1,
        'averaging rounds per epoch: each replica takes (its shard steps per epoch) / rounds_per_epoch local steps between two averages',
      ),
      outer: choice(
        OUTER_OPTIMIZERS,
        'average',
        "how the driver combines the replicas' updates: average (the mean of the replicas' weights) or " +
          "nesterov (DiLoCo's outer Nesterov momentum on the averaged update: better for particles, worse for " +
          'knots at its learning rate; docs/scale-out.md); one replica always takes the average, i.e. ordinary ' +
          'training',
      ),
      outer_learning_rate: positiveNumber(1, 'outer: nesterov: step size on the averaged update'),
      outer_momentum: fractionOrZero(0.5, 'outer: nesterov: momentum'),
      min_replicas: nonNegativeInt(
        0,
        'a round may close with this many replicas when the others failed for good (their job lost its worker twice); 0: every replica must report (`--min-replicas M`)',
      ),
    },
    'data-parallel training on replicas (local threads, or `sciml worker` processes with --executor)',
  );

export type DistributedConfig = z.infer<ReturnType<typeof distributedSection>>;

export interface DistributedSettings {
  replicas: number;
  roundsPerEpoch: number;
  outer: OuterOptimizer;
  outerLearningRate: number;
  outerMomentum: number;
  minReplicas: number;
}

export function distributedSettingsOf(d: DistributedConfig): DistributedSettings {
  return {
    replicas: d.replicas,
    roundsPerEpoch: d.rounds_per_epoch,
    outer: d.outer,
    outerLearningRate: d.outer_learning_rate,
    outerMomentum: d.outer_momentum,
    minReplicas: d.min_replicas,
  };
}
