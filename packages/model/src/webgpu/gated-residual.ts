import type * as tf from '@tensorflow/tfjs-core';
import { checkModulation, modulationRead, type AdaLNChunk, type AdaLNModulation } from './modulation.js';
import { runWebgpuKernel, type WebgpuKernel } from './program.js';
import { elementwiseProgram, vectorCount } from './row-programs.js';
import { sampleColumnSumsOfProduct } from './sample-column-sums.js';

/**
 * adaLN-Zero's gated residual x + gate * y (SPEC section 2, step 4) as one element-wise pass
 * (tfjs' generic path: a broadcast multiply and an add, with a [T, D] temporary between), and
 * its backward pass: dY = dOut * gate (one pass) and dGate = sum over tokens of dOut * y
 * (sample-column-sums.ts). The gradient reaching x is dOut itself.
 */

type GateAttrs = { tokens: number; gate: number };

const gatedResidualKernel: WebgpuKernel<GateAttrs> = {
  name: 'DitGatedResidual',
  run(backend, inputs, { tokens, gate }) {
    // [x, y, modulation] -> x + gate * y; [dOut, modulation] -> gate * dOut.
    const withResidual = inputs.length === 3;
    const [first] = inputs;
    const rowVectors = first.shape[1] / 4;
    const program = elementwiseProgram({
      key: `ditGatedResidual_${rowVectors}_${withResidual}`,
      inputs: withResidual ? ['x', 'y', 'modulation'] : ['y', 'modulation'],
      components: withResidual ? [4, 4, 4] : [4, 4],
      outputShape: first.shape,
      uniforms: 'tokens : i32, gateChunk : i32,',
      declarations: `const ROW_VECTORS = ${rowVectors};`,
      body: /* wgsl */ `
        let row = index / ROW_VECTORS;
        let gate = ${modulationRead('row / uniforms.tokens', 'uniforms.gateChunk', 'index % ROW_VECTORS')};
        let value = ${withResidual ? 'x[index] + gate * y[index]' : 'gate * y[index]'};
      `,
    });
    return backend.runWebGPUProgram(program, inputs, 'float32', [
      { type: 'int32', data: [vectorCount(first.shape)] },
      { type: 'int32', data: [tokens] },
      { type: 'int32', data: [gate] },
    ]);
  },
};

export type GateChunk = AdaLNModulation & { gate: AdaLNChunk };

function checkPair(a: tf.Tensor2D, b: tf.Tensor2D, where: string): void {
  if (a.rank !== 2 || b.rank !== 2 || a.shape[0] !== b.shape[0] || a.shape[1] !== b.shape[1]) {
    throw new Error(`${where}: operands must have the same [T, D] shape, found [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
}

/** x + gate * y for rows [B * N, D], gate the modulation chunk `gate` of each row's sample. */
export function gatedResidual(x: tf.Tensor2D, y: tf.Tensor2D, adaLN: GateChunk): tf.Tensor2D {
  checkPair(x, y, 'gatedResidual');
  checkModulation(x, adaLN, 'gatedResidual');
  return runWebgpuKernel(gatedResidualKernel, [x, y, adaLN.modulation], { tokens: adaLN.tokens, gate: adaLN.gate })[0] as tf.Tensor2D;
}

/** The gradients of x + gate * y with respect to y ([T, D]) and the gate ([B, D]); x's is dOut itself. */
export function gatedResidualBackward(dOut: tf.Tensor2D, y: tf.Tensor2D, adaLN: GateChunk): { dY: tf.Tensor2D; dGate: tf.Tensor2D } {
  checkPair(dOut, y, 'gatedResidualBackward');
  checkModulation(dOut, adaLN, 'gatedResidualBackward');
  const dGate = sampleColumnSumsOfProduct(dOut, y, adaLN.tokens);
  const [dY] = runWebgpuKernel(gatedResidualKernel, [dOut, adaLN.modulation], { tokens: adaLN.tokens, gate: adaLN.gate });
  return { dY: dY as tf.Tensor2D, dGate };
}
