import { z } from 'zod';
import {
  bool,
  choice,
  fraction,
  fractionOrOne,
  nonNegativeInt,
  nonNegativeNumber,
  positiveInt,
  positiveIntList,
  positiveNumber,
  section,
  taskFields,
  text,
} from '../../config/fields.js';
import { radioOptionShape } from '../../data/radio/options.js';
import { distributedSection } from '../../distributed/config.js';
import { executionSection } from '../../execution/config.js';
import { ACTIVATIONS, type Architecture } from './architecture.js';

const filterList = positiveIntList()
  .min(1, { error: 'expected at least one encoder block' })
  .default([16, 16, 16, 16])
  .describe(
    'encoder filters per Conv1D block, each block followed by 2x pooling; the decoder mirrors them. The last entry is the bottleneck channel count: [.., 16] with 4 blocks on 500 samples gives the 16 x 31 bottleneck',
  );

export const denoiserSchema = z
  .strictObject({
    ...taskFields('denoiser', 'selects the radio-pulse denoising autoencoder'),
    data: section(
      {
        simulation: section(
          radioOptionShape,
          'the radio-trace simulator (also `sciml data generate radio --set ...`); length, sampling rate and band also describe traces read from files',
        ),
        train_count: positiveInt(16000, 'simulated traces for training (the validation share included)'),
        test_count: positiveInt(2000, 'simulated traces for the test set (a fresh seed the model never saw)'),
        train_path: text(
          '',
          'traces to train on instead of simulating: .arrow or .csv (columns noisy, signal; CSV as noisy_0.. and signal_0..), .npz (members noisy, signal) or .npy (noisy; with train_signal_path); - reads Arrow or CSV from stdin',
        ),
        train_signal_path: text('', 'with a .npy train_path: the .npy of the clean traces'),
        test_path: text('', 'test traces instead of simulating (same formats as train_path, - for stdin)'),
        test_signal_path: text('', 'with a .npy test_path: the .npy of the clean traces'),
        noisy_key: text('noisy', 'name of the noisy traces: Arrow column or .npz member'),
        signal_key: text('signal', 'name of the clean traces: Arrow column or .npz member'),
      },
      'where traces come from: the simulator by default, or files',
    ),
    model: section(
      {
        filters: filterList,
        kernel_size: positiveInt(9, 'Conv1D kernel size (odd sizes keep the pulse centred)'),
        convs_per_block: positiveInt(1, 'Conv1D layers per encoder/decoder block'),
        activation: choice(ACTIVATIONS, 'elu', 'activation of the hidden Conv1D layers'),
        pooling: choice(
          ['max', 'average'] as const,
          'average',
          'encoder pooling (2x); average pooling passes gradients to every sample and escapes the early plateau faster than max',
        ),
        output_activation: choice(
          ['linear', 'sigmoid'] as const,
          'linear',
          'activation of the output layer (before the trace is restored to its scale when normalize is on)',
        ),
        normalize: bool(
          true,
          "standardise each trace (mean 0, std 1) before the encoder and map the output back with the trace's mean and std; parameter-free, and without it training stalls on the baseline for many epochs",
        ),
      },
      'the denoising autoencoder',
    ),
    training: section(
      {
        epochs: positiveInt(30, 'most passes over the training traces'),
        batch_size: positiveInt(64, 'traces per Adam step'),
        learning_rate: positiveNumber(0.001, 'Adam learning rate (of the first epoch)'),
        learning_rate_decay: fractionOrOne(
          1,
          'the learning rate is multiplied by this after every epoch (1: constant)',
        ),
        patience: nonNegativeInt(
          5,
          'stop after this many epochs without a better validation loss (0: never stop early)',
        ),
        min_delta: nonNegativeNumber(0, 'smallest validation-loss decrease that counts as better'),
        validation_fraction: fraction(0.1, 'share of the training traces held out to pick the best epoch'),
        checkpoint: bool(true, 'write a checkpoint to model/ after every round (for --resume)'),
        distributed: distributedSection(),
      },
      'Adam on the mean squared error, best weights by validation loss, early stopping',
    ),
    execution: executionSection('replica jobs of `training.distributed`'),
    evaluation: section(
      {
        peak_fraction: fraction(
          0.02,
          'a peak counts as found when within this fraction of the trace length of the true one (0.02: 10 of 500 samples)',
        ),
        snr_bins: positiveInt(8, 'SNR bins (log-spaced) for accuracy versus SNR'),
      },
      'test metrics',
    ),
  })
  .superRefine((config, ctx) => {
    // A .npy holds one array: the clean traces come from a second file.
    for (const set of ['train', 'test'] as const) {
      const path = config.data[`${set}_path`];
      if (/\.npy$/i.test(path) && !config.data[`${set}_signal_path`]) {
        ctx.addIssue({
          code: 'custom',
          path: ['data', `${set}_signal_path`],
          message: `expected the .npy of the clean traces, since data.${set}_path ${path} is a .npy (one array: the noisy traces)`,
        });
      }
    }
  });

export type DenoiserConfig = z.infer<typeof denoiserSchema>;

export function architectureOf(config: DenoiserConfig): Architecture {
  return {
    length: config.data.simulation.length,
    filters: config.model.filters,
    kernelSize: config.model.kernel_size,
    convsPerBlock: config.model.convs_per_block,
    activation: config.model.activation,
    pooling: config.model.pooling,
    outputActivation: config.model.output_activation,
    normalize: config.model.normalize,
  };
}
