import * as tf from '@tensorflow/tfjs-core';
import { linear2d } from './linear-op.js';
import { PARAMETER_SLOTS, type ParameterSlot } from './parameters.js';

/**
 * An nn.Linear. The weight variable is stored [in, out] - the transpose of PyTorch's
 * [out, in] - so the forward product is a plain 2-D matMul (fast path on wasm); loading and
 * saving transpose at the boundary.
 */
export class Linear {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  constructor(
    /** PyTorch module path, e.g. `blocks.0.qkv`. */
    readonly name: string,
    readonly inFeatures: number,
    readonly outFeatures: number,
    variablePrefix: string,
  ) {
    this.weight = zerosVariable([inFeatures, outFeatures], `${variablePrefix}${name}.weight`);
    this.bias = zerosVariable([outFeatures], `${variablePrefix}${name}.bias`);
  }

  /** x [N, in] -> [N, out]. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return linear2d(x, this.weight as tf.Tensor2D, this.bias as tf.Tensor1D);
  }

  /** The two parameters in PyTorch state-dict order (weight, bias). */
  [PARAMETER_SLOTS](): ParameterSlot[] {
    return [
      { name: `${this.name}.weight`, variable: this.weight, torchShape: [this.outFeatures, this.inFeatures], transposed: true, fanIn: this.inFeatures, kind: 'weight' },
      { name: `${this.name}.bias`, variable: this.bias, torchShape: [this.outFeatures], transposed: false, fanIn: this.inFeatures, kind: 'bias' },
    ];
  }
}

/** A trainable variable of zeros; the initial tensor is released (tf.variable keeps its own reference). */
function zerosVariable(shape: number[], name: string): tf.Variable {
  const initial = tf.zeros(shape);
  const variable = tf.variable(initial, true, name);
  initial.dispose();
  return variable;
}
