/**
 * One copy of the model that computes loss gradients on shards of a batch. The parameters live in
 * one flat Float32Array owned by the trainer (in trainable-weight order); a replica copies them in
 * before computing. Used in-process and inside worker threads (worker.ts).
 */
import { tf } from '../../runtime/backend.js';
import { buildDenoiser, type Architecture } from './architecture.js';
import { argmax } from '../../data/radio/traces.js';

export interface WeightLayout {
  names: string[];
  shapes: number[][];
  sizes: number[];
  total: number;
}

function layoutOf(model: tf.LayersModel): WeightLayout {
  const names = model.trainableWeights.map((w) => w.originalName);
  const shapes = model.trainableWeights.map((w) => w.shape.map((d) => d ?? 1));
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  return { names, shapes, sizes, total: sizes.reduce((a, b) => a + b, 0) };
}

/** The model's current trainable weights as one flat array. */
export function readParams(model: tf.LayersModel): Float32Array {
  const layout = layoutOf(model);
  const out = new Float32Array(layout.total);
  let at = 0;
  for (const w of model.trainableWeights) {
    const values = w.read().dataSync() as Float32Array;
    out.set(values, at);
    at += values.length;
  }
  return out;
}

export function writeParams(model: tf.LayersModel, params: Float32Array): void {
  let at = 0;
  tf.tidy(() => {
    for (const w of model.trainableWeights) {
      const shape = w.shape.map((d) => d ?? 1);
      const size = shape.reduce((a, b) => a * b, 1);
      w.write(tf.tensor(params.subarray(at, at + size), shape, 'float32'));
      at += size;
    }
  });
  if (at !== params.length) throw new Error(`writeParams: model has ${at} parameters, got ${params.length}`);
}

/** Traces a replica reads batches from: flat row-major [N, L] arrays (often on SharedArrayBuffers). */
export interface TraceArrays {
  length: number;
  noisy: Float32Array;
  signal: Float32Array;
}

export class Replica {
  readonly model: tf.LayersModel;
  readonly layout: WeightLayout;
  private readonly variables: tf.Variable[];
  private loadedVersion = -1;

  constructor(
    arch: Architecture,
    seed: number,
    private readonly data: TraceArrays,
  ) {
    this.model = buildDenoiser(arch, seed);
    this.layout = layoutOf(this.model);
    this.variables = this.model.trainableWeights.map((w) => w.read() as tf.Variable);
  }

  /** Copies the parameters in unless this version is already loaded. */
  load(params: Float32Array, version: number): void {
    if (version === this.loadedVersion) return;
    writeParams(this.model, params);
    this.loadedVersion = version;
  }

  private batch(indices: ArrayLike<number>): { x: tf.Tensor3D; y: tf.Tensor3D } {
    const L = this.data.length;
    const n = indices.length;
    const xs = new Float32Array(n * L);
    const ys = new Float32Array(n * L);
    for (let j = 0; j < n; j++) {
      const i = indices[j];
      xs.set(this.data.noisy.subarray(i * L, (i + 1) * L), j * L);
      ys.set(this.data.signal.subarray(i * L, (i + 1) * L), j * L);
    }
    return { x: tf.tensor3d(xs, [n, L, 1]), y: tf.tensor3d(ys, [n, L, 1]) };
  }

  /**
   * Gradient of sum(squared error over these traces) / denominator into `gradsOut`. With the
   * denominator = (whole batch size) * L, the shards' gradients add up to the batch-mean MSE gradient.
   * Returns the shard's sum of squared errors.
   */
  gradients(indices: ArrayLike<number>, denominator: number, gradsOut: Float32Array): number {
    const { x, y } = this.batch(indices);
    const { value, grads } = tf.variableGrads(this.lossOf(x, y, denominator), this.variables);
    let at = 0;
    for (const v of this.variables) {
      const g = grads[v.name].dataSync() as Float32Array;
      gradsOut.set(g, at);
      at += g.length;
    }
    const loss = (value.dataSync()[0] as number) * denominator;
    tf.dispose([x, y, value, ...Object.values(grads)]);
    return loss;
  }

  /** The training loss on a batch as a function of the variables (also what gradient checks differentiate). */
  lossOf(x: tf.Tensor3D, y: tf.Tensor3D, denominator: number): () => tf.Scalar {
    return () => {
      const prediction = this.model.apply(x, { training: true }) as tf.Tensor;
      return tf.sum(tf.squaredDifference(prediction, y)).div(denominator) as tf.Scalar;
    };
  }

  /** The batch tensors [n, L, 1] for these trace indices (the caller disposes them). */
  tensorsFor(indices: ArrayLike<number>): { x: tf.Tensor3D; y: tf.Tensor3D } {
    return this.batch(indices);
  }

  get trainableVariables(): tf.Variable[] {
    return this.variables;
  }

  /**
   * Validation figures over the given traces (batched): the sum of squared errors, and how many
   * recovered maxima lie within `tolerance` samples of the clean signal's maximum.
   */
  validate(indices: ArrayLike<number>, batchSize: number, tolerance: number): { sse: number; hits: number } {
    const L = this.data.length;
    let sse = 0;
    let hits = 0;
    for (let start = 0; start < indices.length; start += batchSize) {
      const chunk = Array.prototype.slice.call(indices, start, start + batchSize) as number[];
      const { x, y } = this.batch(chunk);
      const prediction = this.model.predict(x) as tf.Tensor;
      const total = tf.tidy(() => tf.sum(tf.squaredDifference(prediction, y)));
      sse += total.dataSync()[0];
      const values = prediction.dataSync() as Float32Array;
      for (let j = 0; j < chunk.length; j++) {
        const i = chunk[j];
        const found = argmax(values, j * L, (j + 1) * L);
        const truth = argmax(this.data.signal, i * L, (i + 1) * L);
        if (Math.abs(found - truth) <= tolerance) hits++;
      }
      tf.dispose([x, y, prediction, total]);
    }
    return { sse, hits };
  }
}

/** Runs a model over traces in batches; returns the recovered traces, flat [N, L]. */
export function predictTraces(
  model: tf.LayersModel,
  noisy: Float32Array,
  length: number,
  batchSize = 256,
): Float32Array {
  const n = noisy.length / length;
  const out = new Float32Array(noisy.length);
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const y = tf.tidy(
      () =>
        model.predict(tf.tensor3d(noisy.subarray(start * length, end * length), [end - start, length, 1])) as tf.Tensor,
    );
    out.set(y.dataSync() as Float32Array, start * length);
    y.dispose();
  }
  return out;
}
