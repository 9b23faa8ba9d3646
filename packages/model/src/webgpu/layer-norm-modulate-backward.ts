import type * as tf from '@tensorflow/tfjs-core';
import { checkModulation, modulationRead, type AdaLNChunk, type AdaLNModulation } from './modulation.js';
import { runWebgpuKernel, type WebgpuKernel } from './program.js';
import { ROW_WORKGROUP, rowProgram } from './row-programs.js';

/**
 * The backward pass of {@link layerNormModulate} with respect to x, in one pass per row:
 * dN = dH (1 + scale), then the LayerNorm backward
 * dx = rstd (dN - mean(dN) - x_hat mean(dN x_hat)) with x_hat recomputed from x and the
 * statistics, plus the residual stream's own gradient when given (the block's
 * dx = dOut + LN'(...)), so neither dN nor x_hat is ever stored. tfjs' generic path takes
 * about ten kernels and three [T, D] temporaries for the same.
 */

type BackwardAttrs = { tokens: number; scale: number; modulated: boolean; withResidual: boolean };

const backwardKernel: WebgpuKernel<BackwardAttrs> = {
  name: 'DitLayerNormModulateBackward',
  run(backend, inputs, { tokens, scale, modulated, withResidual }) {
    // [dH, x, stats, modulation?, dResidual?]: tfjs' pipelines drop unread bindings, so only
    // the operands the shader reads are passed.
    const [dH] = inputs;
    const [rows, width] = dH.shape;
    const names = ['dH', 'x', 'stats', ...(modulated ? ['modulation'] : []), ...(withResidual ? ['dResidual'] : [])];
    const program = rowProgram({
      key: `ditLayerNormModulateBackward_${width}_${modulated}_${withResidual}`,
      inputs: names,
      components: names.map((name) => (name === 'stats' ? 1 : 4)),
      rows,
      rowVectors: width / 4,
      outputShape: [rows, width],
      outputComponent: 4,
      uniforms: 'tokens : i32, scaleChunk : i32,',
      body: /* wgsl */ `
        let mean = stats[2 * row];
        let rstd = stats[2 * row + 1];
        let b = row / uniforms.tokens;
        var dN : array<vec4<f32>, SLOTS>;
        var normalized : array<vec4<f32>, SLOTS>;
        var sumDn = 0.0;
        var sumDnNormalized = 0.0;
        for (var s = 0; s < SLOTS; s++) {
          let c = local + s * ${ROW_WORKGROUP};
          dN[s] = vec4<f32>(0.0);
          normalized[s] = vec4<f32>(0.0);
          if (c < ROW_VECTORS) {
            normalized[s] = (x[row * ROW_VECTORS + c] - vec4<f32>(mean)) * rstd;
            dN[s] = dH[row * ROW_VECTORS + c]${modulated ? ` * (vec4<f32>(1.0) + ${modulationRead('b', 'uniforms.scaleChunk', 'c')})` : ''};
          }
          sumDn = sumDn + dot(dN[s], vec4<f32>(1.0));
          sumDnNormalized = sumDnNormalized + dot(dN[s], normalized[s]);
        }
        let meanDn = rowSum(sumDn) / f32(ROW_VECTORS * 4);
        let meanDnNormalized = rowSum(sumDnNormalized) / f32(ROW_VECTORS * 4);
        for (var s = 0; s < SLOTS; s++) {
          let c = local + s * ${ROW_WORKGROUP};
          if (c < ROW_VECTORS) {
            var value = rstd * (dN[s] - vec4<f32>(meanDn) - normalized[s] * meanDnNormalized);
            ${withResidual ? 'value = value + dResidual[row * ROW_VECTORS + c];' : ''}
            result[row * ROW_VECTORS + c] = value;
          }
        }
      `,
    });
    return backend.runWebGPUProgram(program, inputs, 'float32', [
      { type: 'int32', data: [rows] },
      { type: 'int32', data: [tokens] },
      { type: 'int32', data: [scale] },
    ]);
  },
};

export interface LayerNormModulateBackwardOptions {
  /** The modulation whose `scale` chunk multiplied the normalised rows; none for a plain LayerNorm. */
  adaLN?: AdaLNModulation & { scale: AdaLNChunk };
  /** The gradient that reaches x around the LayerNorm (the residual stream's), added to the result. */
  dResidual?: tf.Tensor2D;
}

/**
 * dx [T, D] from dH, the gradient of LN(x) (1 + scale) + shift, given x and its statistics:
 * the LayerNorm backward of dH (1 + scale), plus `dResidual` when given.
 */
export function layerNormModulateBackward(dH: tf.Tensor2D, x: tf.Tensor2D, stats: tf.Tensor2D, options: LayerNormModulateBackwardOptions = {}): tf.Tensor2D {
  const { adaLN, dResidual } = options;
  for (const [name, t] of [['x', x], ['dResidual', dResidual]] as const) {
    if (t && (t.rank !== 2 || t.shape[0] !== dH.shape[0] || t.shape[1] !== dH.shape[1])) {
      throw new Error(`layerNormModulateBackward: ${name} must be [${dH.shape.join(', ')}] like dH, found [${t.shape.join(', ')}]`);
    }
  }
  if (dH.rank !== 2 || dH.shape[1] % 4 !== 0) throw new Error(`layerNormModulateBackward: dH must be [T, D] with D a multiple of 4, found [${dH.shape.join(', ')}]`);
  if (stats.shape[0] !== dH.shape[0] || stats.shape[1] !== 2) throw new Error(`layerNormModulateBackward: stats must be [${dH.shape[0]}, 2], found [${stats.shape.join(', ')}]`);
  if (adaLN) checkModulation(dH, adaLN, 'layerNormModulateBackward');
  const inputs = [dH, x, stats, ...(adaLN ? [adaLN.modulation] : []), ...(dResidual ? [dResidual] : [])];
  const attrs = { tokens: adaLN?.tokens ?? 1, scale: adaLN?.scale ?? 0, modulated: adaLN !== undefined, withResidual: dResidual !== undefined };
  return runWebgpuKernel(backwardKernel, inputs, attrs)[0] as tf.Tensor2D;
}
