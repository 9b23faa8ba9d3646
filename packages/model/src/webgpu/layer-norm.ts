import * as tf from '@tensorflow/tfjs-core';
import { LAYER_NORM_EPS } from '../internals/block/layer-norm.js';
import { runWebgpuKernel, type WebgpuKernel } from './program.js';
import { ROW_WORKGROUP, elementwiseProgram, rowProgram, vectorCount } from './row-programs.js';

/**
 * LayerNorm over the last axis (no affine, eps 1e-6, SPEC section 2) and its backward pass,
 * as row kernels: one workgroup per token row holds the row in registers and reduces through
 * shared memory, so a row is read once per reduction pass. tfjs' generic path runs about
 * eight kernels forward (mean, subtract, square, mean, add, rsqrt, multiply) and ten backward,
 * each over all of [T, D].
 *
 * Forward: a statistics pass (mean, then the variance of the centred values, as the generic
 * path) and one element-wise pass writing x_hat. Backward:
 * dx = rstd (dN - mean(dN) - x_hat mean(dN x_hat)) in one pass.
 */

const statisticsKernel: WebgpuKernel<Record<string, never>> = {
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

const normalizeKernel: WebgpuKernel<Record<string, never>> = {
  name: 'DitLayerNormNormalize',
  run(backend, [x, stats]) {
    const rowVectors = x.shape[1] / 4;
    const program = elementwiseProgram({
      key: `ditLayerNormNormalize_${rowVectors}`,
      inputs: ['x', 'stats'],
      components: [4, 1],
      outputShape: x.shape,
      declarations: `const ROW_VECTORS = ${rowVectors};`,
      body: /* wgsl */ `
        let row = index / ROW_VECTORS;
        let value = (x[index] - vec4<f32>(stats[2 * row])) * stats[2 * row + 1];
      `,
    });
    return backend.runWebGPUProgram(program, [x, stats], 'float32', [{ type: 'int32', data: [vectorCount(x.shape)] }]);
  },
};

const backwardKernel: WebgpuKernel<Record<string, never>> = {
  name: 'DitLayerNormBackward',
  run(backend, [dNormalized, normalized, rstd]) {
    const [rows, width] = dNormalized.shape;
    const program = rowProgram({
      key: `ditLayerNormBackward_${width}`,
      inputs: ['dNormalized', 'normalized', 'rstd'],
      components: [4, 4, 1],
      rows,
      rowVectors: width / 4,
      outputShape: [rows, width],
      outputComponent: 4,
      body: /* wgsl */ `
        var dN : array<vec4<f32>, SLOTS>;
        var xHat : array<vec4<f32>, SLOTS>;
        var sumDn = 0.0;
        var sumDnXHat = 0.0;
        for (var s = 0; s < SLOTS; s++) {
          let c = local + s * ${ROW_WORKGROUP};
          dN[s] = vec4<f32>(0.0);
          xHat[s] = vec4<f32>(0.0);
          if (c < ROW_VECTORS) {
            dN[s] = dNormalized[row * ROW_VECTORS + c];
            xHat[s] = normalized[row * ROW_VECTORS + c];
          }
          sumDn = sumDn + dot(dN[s], vec4<f32>(1.0));
          sumDnXHat = sumDnXHat + dot(dN[s], xHat[s]);
        }
        let meanDn = rowSum(sumDn) / f32(ROW_VECTORS * 4);
        let meanDnXHat = rowSum(sumDnXHat) / f32(ROW_VECTORS * 4);
        let scale = rstd[row];
        for (var s = 0; s < SLOTS; s++) {
          let c = local + s * ${ROW_WORKGROUP};
          if (c < ROW_VECTORS) {
            result[row * ROW_VECTORS + c] = scale * (dN[s] - vec4<f32>(meanDn) - xHat[s] * meanDnXHat);
          }
        }
      `,
    });
    return backend.runWebGPUProgram(program, [dNormalized, normalized, rstd], 'float32', [{ type: 'int32', data: [rows] }]);
  },
};

function checkRows(x: tf.Tensor2D, where: string): void {
  if (x.rank !== 2 || x.shape[1] % 4 !== 0) throw new Error(`${where}: rows must be [T, D] with D a multiple of 4, found [${x.shape.join(', ')}]`);
}

/** LayerNorm of each row of x [T, D]: x_hat [T, D] and 1/sigma [T, 1] (kept for the backward pass). */
export function layerNormWebgpu(x: tf.Tensor2D): { normalized: tf.Tensor2D; rstd: tf.Tensor2D } {
  checkRows(x, 'layerNorm');
  const [stats] = runWebgpuKernel(statisticsKernel, [x], {});
  const [normalized] = runWebgpuKernel(normalizeKernel, [x, stats], {});
  const rstd = tf.slice(stats, [0, 1], [x.shape[0], 1]) as tf.Tensor2D;
  stats.dispose();
  return { normalized: normalized as tf.Tensor2D, rstd };
}

/** dx = rstd (dN - mean(dN) - x_hat mean(dN x_hat)): the LayerNorm backward pass per row. */
export function layerNormBackwardWebgpu(dNormalized: tf.Tensor2D, normalized: tf.Tensor2D, rstd: tf.Tensor2D): tf.Tensor2D {
  checkRows(dNormalized, 'layerNormBackward');
  const [rows, width] = dNormalized.shape;
  if (normalized.shape[0] !== rows || normalized.shape[1] !== width) throw new Error(`layerNormBackward: normalized must be [${rows}, ${width}], found [${normalized.shape.join(', ')}]`);
  if (rstd.size !== rows) throw new Error(`layerNormBackward: rstd must be [${rows}, 1], found [${rstd.shape.join(', ')}]`);
  return runWebgpuKernel(backwardKernel, [dNormalized, normalized, rstd], {})[0] as tf.Tensor2D;
}
