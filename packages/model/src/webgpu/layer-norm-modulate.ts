import * as tf from '@tensorflow/tfjs-core';
import { LAYER_NORM_EPS } from '../internals/layer-norm.js';
import { checkModulation, modulationRead, type AdaLNChunk, type AdaLNModulation } from './modulation.js';
import { runWebgpuKernel, type WebgpuKernel } from './program.js';
import { ROW_WORKGROUP, elementwiseProgram, rowProgram, vectorCount } from './row-programs.js';

/**
 * LayerNorm (no affine, eps 1e-6) fused with the adaLN modulation of SPEC section 2:
 * h = LN(x) (1 + scale) + shift, in two passes over x instead of tfjs' eleven element-wise
 * and reduction kernels: one workgroup per row computes the row's mean and 1/sigma (the row
 * read once into registers, reduced through shared memory; the variance from the centred
 * values, as the generic path), then one element-wise pass writes h. Training keeps x and the
 * [T, 2] statistics instead of the normalised rows (same memory): the backward kernels
 * recompute x_hat on the fly.
 */

type StatsAttrs = { width: number };

const statsKernel: WebgpuKernel<StatsAttrs> = {
  name: 'DitLayerNormStatistics',
  run(backend, [x]) {
    const [rows, width] = x.shape;
    const program = rowProgram({
      key: `ditLayerNormStatistics_${width}`,
      inputs: ['x'],
      components: [4],
      rows,
      rowVectors: width / 4,
      outputShape: [rows, 2],
      outputComponent: 1,
      body: /* wgsl */ `
        var values : array<vec4<f32>, SLOTS>;
        var sum = 0.0;
        for (var s = 0; s < SLOTS; s++) {
          let c = local + s * ${ROW_WORKGROUP};
          values[s] = vec4<f32>(0.0);
          if (c < ROW_VECTORS) {
            values[s] = x[row * ROW_VECTORS + c];
          }
          sum = sum + dot(values[s], vec4<f32>(1.0));
        }
        let mean = rowSum(sum) / f32(ROW_VECTORS * 4);
        var squares = 0.0;
        for (var s = 0; s < SLOTS; s++) {
          if (local + s * ${ROW_WORKGROUP} < ROW_VECTORS) {
            let centred = values[s] - vec4<f32>(mean);
            squares = squares + dot(centred, centred);
          }
        }
        let variance = rowSum(squares) / f32(ROW_VECTORS * 4);
        if (local == 0) {
          result[row * 2] = mean;
          result[row * 2 + 1] = inverseSqrt(variance + ${LAYER_NORM_EPS.toExponential()});
        }
      `,
    });
    return backend.runWebGPUProgram(program, [x], 'float32', [{ type: 'int32', data: [rows] }]);
  },
};

/** Per token row of x [T, D]: its mean and 1 / sqrt(variance + 1e-6), as [T, 2]. */
export function layerNormStatistics(x: tf.Tensor2D): tf.Tensor2D {
  if (x.rank !== 2 || x.shape[1] % 4 !== 0) throw new Error(`layerNormStatistics: x must be [T, D] with D a multiple of 4, found [${x.shape.join(', ')}]`);
  return runWebgpuKernel(statsKernel, [x], { width: x.shape[1] })[0] as tf.Tensor2D;
}

type ModulateAttrs = { tokens: number; shift: number; scale: number };

const modulateKernel: WebgpuKernel<ModulateAttrs> = {
  name: 'DitLayerNormModulate',
  run(backend, inputs, { tokens, shift, scale }) {
    const [x] = inputs;
    const modulated = inputs.length === 3;
    const rowVectors = x.shape[1] / 4;
    const program = elementwiseProgram({
      key: `ditLayerNormModulate_${rowVectors}_${modulated}`,
      inputs: modulated ? ['x', 'stats', 'modulation'] : ['x', 'stats'],
      components: modulated ? [4, 1, 4] : [4, 1],
      outputShape: x.shape,
      uniforms: 'tokens : i32, shiftChunk : i32, scaleChunk : i32,',
      declarations: `const ROW_VECTORS = ${rowVectors};`,
      body: /* wgsl */ `
        let row = index / ROW_VECTORS;
        var value = (x[index] - vec4<f32>(stats[2 * row])) * stats[2 * row + 1];
        ${modulated ? /* wgsl */ `
        let b = row / uniforms.tokens;
        let c = index % ROW_VECTORS;
        value = value * (vec4<f32>(1.0) + ${modulationRead('b', 'uniforms.scaleChunk', 'c')}) + ${modulationRead('b', 'uniforms.shiftChunk', 'c')};` : ''}
      `,
    });
    return backend.runWebGPUProgram(program, inputs, 'float32', [
      { type: 'int32', data: [vectorCount(x.shape)] },
      { type: 'int32', data: [tokens] },
      { type: 'int32', data: [shift] },
      { type: 'int32', data: [scale] },
    ]);
  },
};

/** Which chunks of the modulation shift and scale the normalised rows. */
export interface ModulationChunks extends AdaLNModulation {
  shift: AdaLNChunk;
  scale: AdaLNChunk;
}

/**
 * LN(x) (1 + scale) + shift from x [T, D] and its {@link layerNormStatistics}; without
 * `adaLN`, just LN(x) (x_hat).
 */
export function layerNormModulate(x: tf.Tensor2D, stats: tf.Tensor2D, adaLN?: ModulationChunks): tf.Tensor2D {
  if (stats.rank !== 2 || stats.shape[0] !== x.shape[0] || stats.shape[1] !== 2) {
    throw new Error(`layerNormModulate: stats must be [${x.shape[0]}, 2], found [${stats.shape.join(', ')}]`);
  }
  if (!adaLN) {
    if (x.rank !== 2 || x.shape[1] % 4 !== 0) throw new Error(`layerNormModulate: x must be [T, D] with D a multiple of 4, found [${x.shape.join(', ')}]`);
    return runWebgpuKernel(modulateKernel, [x, stats], { tokens: 1, shift: 0, scale: 0 })[0] as tf.Tensor2D;
  }
  checkModulation(x, adaLN, 'layerNormModulate');
  return runWebgpuKernel(modulateKernel, [x, stats, adaLN.modulation], { tokens: adaLN.tokens, shift: adaLN.shift, scale: adaLN.scale })[0] as tf.Tensor2D;
}
