import { z } from 'zod';
import {
  bool,
  choice,
  fraction,
  fractionOrZero,
  nonNegativeInt,
  positiveInt,
  positiveIntList,
  positiveNumber,
  section,
  taskFields,
  text,
} from '../../config/fields.js';
import { distributedSection } from '../../distributed/config.js';
import { executionSection } from '../../execution/config.js';
import { PUBLISHED_MAX_PARTICLES } from '../../data/particles/schema.js';

const widths = (def: number[], description: string) => positiveIntList().default(def).describe(description);

export const particlesSchema = z.strictObject({
  ...taskFields('particles', 'selects the LHC Inclusive Classifier (GRU over particle lists plus high-level features)'),
  data: section(
    {
      path: text(
        '',
        "events: a Parquet file, a directory or a glob of shards (nested HLF_input/GRU_input/encoded_label or flat label + HLF + particle list columns); empty: simulate data.simulate_events into the run's data/ folder",
      ),
      test_path: text(
        '',
        'held-out events in their own shards (empty: a seeded test_fraction of data.path, chosen per event)',
      ),
      simulate_events: positiveInt(20000, 'events simulated when data.path is empty (`sciml data generate particles`)'),
      simulate_shards: positiveInt(4, 'Parquet shards of the simulated events'),
      max_particles: positiveInt(
        PUBLISHED_MAX_PARTICLES,
        'particles per event fed to the recurrent branch: the ones closest to the lepton (the end of the sorted list); cut it for speed',
      ),
      validation_fraction: fraction(
        0.1,
        'share of the events (chosen per event by a seeded hash) for the per-epoch validation',
      ),
      test_fraction: fraction(0.2, 'share of the events held out for the test metrics (when test_path is empty)'),
      shuffle_buffer: nonNegativeInt(
        2048,
        'events in the shuffle buffer (shard order is shuffled per epoch too); 0 reads in file order',
      ),
      standardize_events: positiveInt(2000, 'training events read to fit the feature means and standard deviations'),
      cache_mb: nonNegativeInt(
        256,
        'decoded events kept in memory for the epochs after the first (the first row groups up to this size; the rest streams from the shards every epoch); 0 decodes every epoch',
      ),
    },
    'where events come from and how they stream',
  ),
  model: section(
    {
      inputs: choice(
        ['both', 'hlf', 'particles'] as const,
        'both',
        'both: the Inclusive Classifier; hlf: the HLF classifier; particles: the particle-sequence classifier',
      ),
      recurrent: choice(['gru', 'lstm'] as const, 'gru', 'recurrent layer over the particle list'),
      units: positiveInt(50, 'recurrent units'),
      dropout: fractionOrZero(0.2, 'dropout on the recurrent output and on the HLF input'),
      dense: widths([25], 'hidden dense widths (relu) after the concatenation'),
    },
    'the classifier (published: GRU(50), dropout 0.2, Dense(25), Dense(3) softmax)',
  ),
  baseline: section(
    {
      enabled: bool(
        true,
        'train the HLF classifier on the same events in the same run and compare (skipped when model.inputs is hlf)',
      ),
      dense: widths([50, 20, 10], 'hidden widths of the HLF classifier (published: 50, 20, 10)'),
    },
    'the in-run HLF baseline and the paired comparison',
  ),
  training: section(
    {
      epochs: positiveInt(5, 'passes over the training events'),
      batch_size: positiveInt(128, 'events per Adam step'),
      learning_rate: positiveNumber(0.0005, 'Adam learning rate'),
      checkpoint: bool(true, 'write a checkpoint to model/ after every epoch (for --resume)'),
      distributed: distributedSection(),
    },
    'Adam on the categorical cross-entropy',
  ),
  execution: executionSection('replica jobs of `training.distributed`'),
  evaluation: section(
    {
      importance_events: nonNegativeInt(256, 'test events averaged for the integrated-gradients importance (0: skip)'),
      importance_steps: positiveInt(16, 'integration steps of the integrated gradients'),
    },
    'test metrics and report',
  ),
});

export type ParticlesConfig = z.infer<typeof particlesSchema>;
