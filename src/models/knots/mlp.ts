import { tf } from '../../runtime/backend.js';
import type { Random } from '../../runtime/random.js';
import { concatFloat32 } from '../../runtime/typed-arrays.js';
import type { Activation } from './config.js';

/** A dense network: `hidden` layers with `activation`, then a linear output layer. */
export interface MlpSpec {
  inputs: number;
  hidden: number[];
  outputs: number;
  activation: Activation;
}

/** Plain-JSON weights: kernels row-major [fan_in][fan_out] flattened. */
export interface MlpState {
  spec: MlpSpec;
  layers: { kernel: number[]; bias: number[] }[];
}

interface DenseLayer {
  kernel: tf.Variable<tf.Rank.R2>;
  bias: tf.Variable<tf.Rank.R1>;
}

const ACTIVATION: Record<Activation, (x: tf.Tensor2D) => tf.Tensor2D> = {
  relu: (x) => tf.relu(x),
  tanh: (x) => tf.tanh(x),
  elu: (x) => tf.elu(x),
  sigmoid: (x) => tf.sigmoid(x),
  softplus: (x) => tf.softplus(x),
};

function layerSizes(spec: MlpSpec): [number, number][] {
  const sizes = [spec.inputs, ...spec.hidden, spec.outputs];
  return sizes.slice(1).map((out, i) => [sizes[i], out]);
}

/**
 * The MLP is built from raw tf variables rather than tf.layers so that input gradients, weight
 * snapshots and hand-set weights (the integrated-gradients unit test) are direct.
 */
export class Mlp {
  private constructor(
    readonly spec: MlpSpec,
    private readonly layers: DenseLayer[],
  ) {}

  /** He-uniform kernels for relu-like activations, Glorot-uniform otherwise, drawn from `rng`; zero biases. */
  static create(spec: MlpSpec, rng: Random): Mlp {
    const heLike = spec.activation === 'relu' || spec.activation === 'elu' || spec.activation === 'softplus';
    const layers = layerSizes(spec).map(([fanIn, fanOut], i) => {
      const isOutput = i === spec.hidden.length;
      const limit = heLike && !isOutput ? Math.sqrt(6 / fanIn) : Math.sqrt(6 / (fanIn + fanOut));
      const kernel = new Float32Array(fanIn * fanOut);
      for (let k = 0; k < kernel.length; k++) kernel[k] = rng.uniform(-limit, limit);
      return {
        kernel: tf.variable(tf.tensor2d(kernel, [fanIn, fanOut])),
        bias: tf.variable(tf.zeros([fanOut]) as tf.Tensor1D),
      };
    });
    return new Mlp(spec, layers);
  }

  static fromState(state: MlpState): Mlp {
    const sizes = layerSizes(state.spec);
    if (state.layers.length !== sizes.length)
      throw new Error(`Mlp.fromState: ${state.layers.length} layers for a spec of ${sizes.length}`);
    const layers = sizes.map(([fanIn, fanOut], i) => {
      const { kernel, bias } = state.layers[i];
      if (kernel.length !== fanIn * fanOut || bias.length !== fanOut)
        throw new Error(`Mlp.fromState: layer ${i} has the wrong shape`);
      return { kernel: tf.variable(tf.tensor2d(kernel, [fanIn, fanOut])), bias: tf.variable(tf.tensor1d(bias)) };
    });
    return new Mlp(state.spec, layers);
  }

  /** The weight matrices (for weight decay). */
  get kernels(): tf.Variable[] {
    return this.layers.map((l) => l.kernel);
  }

  get variables(): tf.Variable[] {
    return this.layers.flatMap((l) => [l.kernel, l.bias]);
  }

  /** Forward pass: [batch, inputs] -> [batch, outputs]. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    const act = ACTIVATION[this.spec.activation];
    let h = x;
    this.layers.forEach((layer, i) => {
      const z = tf.add(tf.matMul(h, layer.kernel), layer.bias) as tf.Tensor2D;
      h = i < this.layers.length - 1 ? act(z) : z;
    });
    return h;
  }

  state(): MlpState {
    return {
      spec: this.spec,
      layers: this.layers.map((l) => ({
        kernel: Array.from(l.kernel.dataSync()),
        bias: Array.from(l.bias.dataSync()),
      })),
    };
  }

  /** A copy of the current weights (for keeping the best epoch). */
  snapshot(): Float32Array[] {
    return this.variables.map((v) => (v.dataSync() as Float32Array).slice());
  }

  restore(snapshot: Float32Array[]): void {
    tf.tidy(() => this.variables.forEach((v, i) => v.assign(tf.tensor(snapshot[i], v.shape))));
  }

  /** Every weight in one vector, variable after variable (the order of `variables`). */
  flatWeights(): Float32Array {
    return concatFloat32(this.snapshot());
  }

  setFlatWeights(flat: Float32Array): void {
    let offset = 0;
    tf.tidy(() =>
      this.variables.forEach((v) => {
        const size = v.shape.reduce((a, b) => a * b, 1);
        v.assign(tf.tensor(flat.subarray(offset, offset + size), v.shape));
        offset += size;
      }),
    );
    if (offset !== flat.length) throw new Error(`Mlp.setFlatWeights: ${flat.length} values for ${offset} weights`);
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}
