/**
 * Per-trace standardisation around the autoencoder: the network sees (x - mean(x)) / std(x) and its
 * output is mapped back with the same trace's mean and std. Parameter-free (like RevIN's instance
 * normalisation). Why: in [0, 1]-scaled traces the pulse is a small, sparse wiggle on a baseline;
 * without this the autoencoder sits for many epochs on the plateau of predicting the baseline,
 * with it the pulse is O(1) and training escapes within an epoch or two.
 * Both layers are registered for serialisation, so model.json reloads with tf.loadLayersModel.
 */
import { tf } from '../../runtime/backend.js';

const EPSILON = 1e-6;

function moments(x: tf.Tensor): { mean: tf.Tensor; std: tf.Tensor } {
  const { mean, variance } = tf.moments(x, 1, true);
  return { mean, std: tf.sqrt(variance).add(EPSILON) };
}

/** [batch, L, 1] -> the same trace standardised to mean 0 and standard deviation 1. */
export class TraceStandardize extends tf.layers.Layer {
  static readonly className = 'ScimlTraceStandardize';

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const { mean, std } = moments(x);
      return x.sub(mean).div(std);
    });
  }
}

/** [output, input] -> output * std(input) + mean(input): back to the input trace's scale. */
export class TraceRestore extends tf.layers.Layer {
  static readonly className = 'ScimlTraceRestore';

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return (inputShape as tf.Shape[])[0];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [y, x] = inputs as tf.Tensor[];
      const { mean, std } = moments(x);
      return y.mul(std).add(mean);
    });
  }
}

tf.serialization.registerClass(TraceStandardize);
tf.serialization.registerClass(TraceRestore);
