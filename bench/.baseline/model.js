// src/index.ts
import "@dit/core";

// src/model.ts
import * as tf16 from "@tensorflow/tfjs-core";

// src/block.ts
import * as tf9 from "@tensorflow/tfjs-core";

// src/internals/block-math.ts
import * as tf6 from "@tensorflow/tfjs-core";

// src/rope.ts
import * as tf from "@tensorflow/tfjs-core";
var ROPE_BASE = 1e4;
function rope2dAngles(gridHeight, gridWidth, headDim) {
  if (headDim % 4 !== 0) throw new Error(`2D RoPE needs head_dim divisible by 4, found ${headDim}`);
  const frequencies = headDim / 4;
  const invFreq = Float32Array.from({ length: frequencies }, (_, j) => 1 / ROPE_BASE ** (4 * j / headDim));
  const half = headDim / 2;
  const angles = new Float32Array(gridHeight * gridWidth * half);
  for (let row = 0; row < gridHeight; row++) {
    for (let col = 0; col < gridWidth; col++) {
      const offset = (row * gridWidth + col) * half;
      for (let j = 0; j < frequencies; j++) {
        angles[offset + j] = row * invFreq[j];
        angles[offset + frequencies + j] = col * invFreq[j];
      }
    }
  }
  return angles;
}
function ropeTables(options) {
  const { textLength, gridHeight, gridWidth, headDim } = options;
  const angles = rope2dAngles(gridHeight, gridWidth, headDim);
  const half = headDim / 2;
  const tokens = textLength + gridHeight * gridWidth;
  const cos2 = new Float32Array(tokens * headDim);
  const sin2 = new Float32Array(tokens * headDim);
  cos2.fill(1, 0, textLength * headDim);
  for (let i = 0; i < gridHeight * gridWidth; i++) {
    const row = (textLength + i) * headDim;
    for (let j = 0; j < half; j++) {
      const c = Math.cos(angles[i * half + j]);
      const s = Math.sin(angles[i * half + j]);
      cos2[row + j] = c;
      cos2[row + half + j] = c;
      sin2[row + j] = s;
      sin2[row + half + j] = s;
    }
  }
  return { cos: tf.tensor2d(cos2, [tokens, headDim]), sin: tf.tensor2d(sin2, [tokens, headDim]) };
}
function applyRope(x, tables) {
  return rotate(x, tables, false);
}
function applyRopeBackward(dy, tables) {
  return rotate(dy, tables, true);
}
function rotate(x, tables, inverse) {
  const [tokens, headDim] = tables.cos.shape;
  if (x.rank !== 4 || x.shape[1] !== tokens || x.shape[3] !== headDim) {
    throw new Error(`RoPE: x must be [B, ${tokens}, heads, ${headDim}], found [${x.shape.join(", ")}]`);
  }
  const sin2 = tf.reshape(tables.sin, [tokens, 1, headDim]);
  const swapped = tf.tidy(() => {
    const [first, second] = tf.split(inverse ? tf.mul(x, sin2) : x, 2, 3);
    return inverse ? tf.concat([second, tf.neg(first)], 3) : tf.mul(tf.concat([tf.neg(second), first], 3), sin2);
  });
  const out = tf.tidy(() => tf.add(tf.mul(x, tf.reshape(tables.cos, [tokens, 1, headDim])), swapped));
  swapped.dispose();
  sin2.dispose();
  return out;
}

// src/internals/attention-op.ts
import * as tf3 from "@tensorflow/tfjs-core";

// src/internals/split.ts
import * as tf2 from "@tensorflow/tfjs-core";
function splitFirstAxis(x) {
  const [count, ...rest] = x.shape;
  const pieces = [];
  const halve = (part, length, owned) => {
    if (length === 1) {
      pieces.push(tf2.reshape(part, rest));
      if (owned) part.dispose();
      return;
    }
    const head = Math.floor(length / 2);
    const [first, second] = tf2.split(part, [head, length - head], 0);
    if (owned) part.dispose();
    halve(first, head, true);
    halve(second, length - head, true);
  };
  halve(x, count, false);
  return pieces;
}

// src/internals/attention-op.ts
function attentionForward(q, kT, v, scale) {
  const qHeads = splitFirstAxis(q);
  const kTHeads = splitFirstAxis(kT);
  const vHeads = splitFirstAxis(v);
  const outputs = qHeads.map((qHead, i) => {
    const output = tf3.tidy(() => {
      const probabilities = tf3.softmax(tf3.matMul(tf3.mul(qHead, scale), kTHeads[i]));
      return tf3.matMul(probabilities, vHeads[i]);
    });
    for (const piece of [qHead, kTHeads[i], vHeads[i]]) piece.dispose();
    return output;
  });
  return stackAndDispose(outputs);
}
function attentionBackward(q, kT, v, dy, scale) {
  const qHeads = splitFirstAxis(q);
  const kTHeads = splitFirstAxis(kT);
  const vHeads = splitFirstAxis(v);
  const dyHeads = splitFirstAxis(dy);
  const dq = [];
  const dkT = [];
  const dv = [];
  for (let i = 0; i < qHeads.length; i++) {
    const grads = tf3.tidy(() => {
      const scaledQ = tf3.mul(qHeads[i], scale);
      const kTHead = kTHeads[i];
      const dyHead = dyHeads[i];
      const probabilities = tf3.tidy(() => tf3.softmax(tf3.matMul(scaledQ, kTHead)));
      const dProbabilities = tf3.matMul(dyHead, tf3.transpose(vHeads[i]));
      const rowDot = tf3.tidy(() => tf3.sum(tf3.mul(dProbabilities, probabilities), -1, true));
      const shifted = tf3.sub(dProbabilities, rowDot);
      dProbabilities.dispose();
      const dScores = tf3.mul(probabilities, shifted);
      shifted.dispose();
      const dValues = tf3.transpose(tf3.matMul(tf3.transpose(dyHead), probabilities));
      probabilities.dispose();
      return [
        tf3.mul(tf3.matMul(dScores, tf3.transpose(kTHead)), scale),
        // dQ = scale dS K
        tf3.matMul(tf3.transpose(scaledQ), dScores),
        // dK^T = (scale Q)^T dS
        dValues
      ];
    });
    dq.push(grads[0]);
    dkT.push(grads[1]);
    dv.push(grads[2]);
    for (const piece of [qHeads[i], kTHeads[i], vHeads[i], dyHeads[i]]) piece.dispose();
  }
  return [stackAndDispose(dq), stackAndDispose(dkT), stackAndDispose(dv)];
}
function stackAndDispose(pieces) {
  const stacked = tf3.stack(pieces);
  tf3.dispose(pieces);
  return stacked;
}

// src/internals/gelu.ts
import * as tf4 from "@tensorflow/tfjs-core";
var SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
var CUBIC = 0.044715;
function pipe(x, ...steps) {
  let value = x;
  for (const step of steps) {
    const next = step(value);
    if (value !== x) value.dispose();
    value = next;
  }
  return value;
}
function geluTanh(x) {
  const onePlusTanh = pipe(
    x,
    (v) => tf4.square(v),
    (v) => tf4.mul(v, SQRT_2_OVER_PI * CUBIC),
    (v) => tf4.add(v, SQRT_2_OVER_PI),
    (v) => tf4.mul(v, x),
    (v) => tf4.tanh(v),
    (v) => tf4.add(v, 1)
  );
  const out = pipe(onePlusTanh, (v) => tf4.mul(v, x), (v) => tf4.mul(v, 0.5));
  onePlusTanh.dispose();
  return out;
}
function geluTanhBackward(dy, x) {
  const tanhU = pipe(
    x,
    (v) => tf4.square(v),
    (v) => tf4.mul(v, SQRT_2_OVER_PI * CUBIC),
    (v) => tf4.add(v, SQRT_2_OVER_PI),
    (v) => tf4.mul(v, x),
    (v) => tf4.tanh(v)
  );
  const halfOnePlusTanh = pipe(tanhU, (v) => tf4.add(v, 1), (v) => tf4.mul(v, 0.5));
  const sech2 = pipe(tanhU, (v) => tf4.square(v), (v) => tf4.sub(1, v));
  tanhU.dispose();
  const curvature = pipe(
    x,
    (v) => tf4.square(v),
    (v) => tf4.mul(v, 3 * CUBIC * SQRT_2_OVER_PI),
    (v) => tf4.add(v, SQRT_2_OVER_PI),
    (v) => tf4.mul(v, x),
    (v) => tf4.mul(v, 0.5),
    (v) => tf4.mul(v, sech2)
  );
  sech2.dispose();
  const out = pipe(halfOnePlusTanh, (v) => tf4.add(v, curvature), (v) => tf4.mul(v, dy));
  halfOnePlusTanh.dispose();
  curvature.dispose();
  return out;
}

// src/internals/layer-norm.ts
import * as tf5 from "@tensorflow/tfjs-core";
var LAYER_NORM_EPS = 1e-6;
function layerNormForward(x) {
  return tf5.tidy(() => {
    const centered = tf5.sub(x, tf5.mean(x, -1, true));
    const rstd = tf5.rsqrt(tf5.add(tf5.mean(tf5.square(centered), -1, true), LAYER_NORM_EPS));
    return { normalized: tf5.mul(centered, rstd), rstd };
  });
}
function layerNormBackward(dNormalized, normalized, rstd) {
  return tf5.tidy(() => {
    const meanDy = tf5.mean(dNormalized, -1, true);
    const meanDyXhat = tf5.mean(tf5.mul(dNormalized, normalized), -1, true);
    return tf5.mul(rstd, tf5.sub(tf5.sub(dNormalized, meanDy), tf5.mul(normalized, meanDyXhat)));
  });
}

// src/internals/block-math.ts
var linear = (x, w, b) => tf6.fused.matMul({ a: x, b: w, bias: b });
function linearBackward(dy, x, w) {
  const dw = tf6.tidy(() => tf6.matMul(tf6.transpose(x), dy));
  const db = tf6.sum(dy, 0);
  const dx = tf6.tidy(() => tf6.matMul(dy, tf6.transpose(w)));
  return [dx, dw, db];
}
function modulationParts(modulation, shape) {
  return tf6.tidy(() => {
    const parts = tf6.split(modulation, 6, 1).map((part) => tf6.reshape(part, [shape.batch, 1, shape.hiddenSize]));
    const [shift1, scale1, gate1, shift2, scale2, gate2] = parts;
    return { shift1, scalePlus1: tf6.add(scale1, 1), gate1, shift2, scalePlus2: tf6.add(scale2, 1), gate2 };
  });
}
var perSample = (x, shape) => tf6.reshape(x, [shape.batch, shape.tokens, shape.hiddenSize]);
var asRows = (x, shape) => tf6.reshape(x, [shape.batch * shape.tokens, shape.hiddenSize]);
function modulate(normalized, scalePlus1, shift, shape) {
  return tf6.tidy(() => asRows(tf6.add(tf6.mul(perSample(normalized, shape), scalePlus1), shift), shape));
}
function gatedAdd(x, gate, y, shape) {
  return tf6.tidy(() => asRows(tf6.add(perSample(x, shape), tf6.mul(gate, perSample(y, shape))), shape));
}
var sumPerSample = (x, shape) => tf6.sum(perSample(x, shape), 1);
function headsShape(shape) {
  return [shape.batch, shape.tokens, shape.numHeads, shape.hiddenSize / shape.numHeads];
}
function projectHeads(qkv, rope, shape) {
  const [batch, tokens, heads, headDim] = headsShape(shape);
  const groups = batch * heads;
  const [q, k, v] = tf6.split(qkv, 3, 1);
  const queries = tf6.tidy(() => tf6.reshape(tf6.transpose(applyRope(tf6.reshape(q, [batch, tokens, heads, headDim]), rope), [0, 2, 1, 3]), [groups, tokens, headDim]));
  q.dispose();
  const keysT = tf6.tidy(() => tf6.reshape(tf6.transpose(applyRope(tf6.reshape(k, [batch, tokens, heads, headDim]), rope), [0, 2, 3, 1]), [groups, headDim, tokens]));
  k.dispose();
  const values = tf6.tidy(() => tf6.reshape(tf6.transpose(tf6.reshape(v, [batch, tokens, heads, headDim]), [0, 2, 1, 3]), [groups, tokens, headDim]));
  v.dispose();
  return { queries, keysT, values };
}
function mergeHeads(x, shape) {
  const [batch, tokens, heads, headDim] = headsShape(shape);
  return tf6.tidy(() => asRows(tf6.transpose(tf6.reshape(x, [batch, heads, tokens, headDim]), [0, 2, 1, 3]), shape));
}
function splitHeads(x, shape) {
  const [batch, tokens, heads, headDim] = headsShape(shape);
  return tf6.tidy(() => tf6.reshape(tf6.transpose(tf6.reshape(x, [batch, tokens, heads, headDim]), [0, 2, 1, 3]), [batch * heads, tokens, headDim]));
}
var disposeAll = (...tensors) => tf6.dispose(tensors);
function blockForward(x, siluC, w, rope, shape, keep) {
  const scale = 1 / Math.sqrt(shape.hiddenSize / shape.numHeads);
  const modulation = linear(siluC, w.adaW, w.adaB);
  const mod = modulationParts(modulation, shape);
  const { normalized: normalized1, rstd: rstd1 } = layerNormForward(x);
  const h1 = modulate(normalized1, mod.scalePlus1, mod.shift1, shape);
  const qkv = linear(h1, w.qkvW, w.qkvB);
  h1.dispose();
  const { queries, keysT, values } = projectHeads(qkv, rope, shape);
  qkv.dispose();
  const headsOut = attentionForward(queries, keysT, values, scale);
  const attended = mergeHeads(headsOut, shape);
  headsOut.dispose();
  const projected = linear(attended, w.projW, w.projB);
  const x1 = gatedAdd(x, mod.gate1, projected, shape);
  const { normalized: normalized2, rstd: rstd2 } = layerNormForward(x1);
  const h2 = modulate(normalized2, mod.scalePlus2, mod.shift2, shape);
  const mlpHidden = linear(h2, w.mlpInW, w.mlpInB);
  h2.dispose();
  const activated = geluTanh(mlpHidden);
  const mlpOutput = linear(activated, w.mlpOutW, w.mlpOutB);
  activated.dispose();
  const output = gatedAdd(x1, mod.gate2, mlpOutput, shape);
  disposeAll(x1, ...Object.values(mod));
  if (keep) {
    return { output, activations: { modulation, normalized1, rstd1, queries, keysT, values, attended, projected, normalized2, rstd2, mlpHidden, mlpOutput } };
  }
  disposeAll(modulation, normalized1, rstd1, queries, keysT, values, attended, projected, normalized2, rstd2, mlpHidden, mlpOutput);
  return { output };
}
function blockBackward(dOut, siluC, w, a, rope, shape) {
  const scale = 1 / Math.sqrt(shape.hiddenSize / shape.numHeads);
  const mod = modulationParts(a.modulation, shape);
  const dGate2 = tf6.tidy(() => sumPerSample(tf6.mul(perSample(dOut, shape), perSample(a.mlpOutput, shape)), shape));
  const dMlpOutput = tf6.tidy(() => asRows(tf6.mul(perSample(dOut, shape), mod.gate2), shape));
  const activated = geluTanh(a.mlpHidden);
  const dMlpOutW = tf6.tidy(() => tf6.matMul(tf6.transpose(activated), dMlpOutput));
  activated.dispose();
  const dMlpOutB = tf6.sum(dMlpOutput, 0);
  const dActivated = tf6.tidy(() => tf6.matMul(dMlpOutput, tf6.transpose(w.mlpOutW)));
  dMlpOutput.dispose();
  const dMlpHidden = geluTanhBackward(dActivated, a.mlpHidden);
  dActivated.dispose();
  const h2 = modulate(a.normalized2, mod.scalePlus2, mod.shift2, shape);
  const [dH2, dMlpInW, dMlpInB] = linearBackward(dMlpHidden, h2, w.mlpInW);
  disposeAll(h2, dMlpHidden);
  const dScale2 = tf6.tidy(() => sumPerSample(tf6.mul(dH2, a.normalized2), shape));
  const dShift2 = sumPerSample(dH2, shape);
  const dNormalized2 = tf6.tidy(() => asRows(tf6.mul(perSample(dH2, shape), mod.scalePlus2), shape));
  dH2.dispose();
  const dX1 = tf6.tidy(() => tf6.add(dOut, layerNormBackward(dNormalized2, a.normalized2, a.rstd2)));
  dNormalized2.dispose();
  const dGate1 = tf6.tidy(() => sumPerSample(tf6.mul(perSample(dX1, shape), perSample(a.projected, shape)), shape));
  const dProjected = tf6.tidy(() => asRows(tf6.mul(perSample(dX1, shape), mod.gate1), shape));
  const [dAttended, dProjW, dProjB] = linearBackward(dProjected, a.attended, w.projW);
  dProjected.dispose();
  const dHeadsOut = splitHeads(dAttended, shape);
  dAttended.dispose();
  const [dQueries, dKeysT, dValues] = attentionBackward(a.queries, a.keysT, a.values, dHeadsOut, scale);
  dHeadsOut.dispose();
  const dQkv = qkvGradient(dQueries, dKeysT, dValues, rope, shape);
  disposeAll(dQueries, dKeysT, dValues);
  const h1 = modulate(a.normalized1, mod.scalePlus1, mod.shift1, shape);
  const [dH1, dQkvW, dQkvB] = linearBackward(dQkv, h1, w.qkvW);
  disposeAll(h1, dQkv);
  const dScale1 = tf6.tidy(() => sumPerSample(tf6.mul(dH1, a.normalized1), shape));
  const dShift1 = sumPerSample(dH1, shape);
  const dNormalized1 = tf6.tidy(() => asRows(tf6.mul(perSample(dH1, shape), mod.scalePlus1), shape));
  dH1.dispose();
  const dx = tf6.tidy(() => tf6.add(dX1, layerNormBackward(dNormalized1, a.normalized1, a.rstd1)));
  disposeAll(dNormalized1, dX1, ...Object.values(mod));
  const dModulation = tf6.concat([dShift1, dScale1, dGate1, dShift2, dScale2, dGate2], 1);
  disposeAll(dShift1, dScale1, dGate1, dShift2, dScale2, dGate2);
  const [dSiluC, dAdaW, dAdaB] = linearBackward(dModulation, siluC, w.adaW);
  dModulation.dispose();
  return {
    dx,
    dSiluC,
    weights: { adaW: dAdaW, adaB: dAdaB, qkvW: dQkvW, qkvB: dQkvB, projW: dProjW, projB: dProjB, mlpInW: dMlpInW, mlpInB: dMlpInB, mlpOutW: dMlpOutW, mlpOutB: dMlpOutB }
  };
}
function qkvGradient(dQueries, dKeysT, dValues, rope, shape) {
  const [batch, tokens, heads, headDim] = headsShape(shape);
  const dq = tf6.tidy(() => asRows(applyRopeBackward(tf6.transpose(tf6.reshape(dQueries, [batch, heads, tokens, headDim]), [0, 2, 1, 3]), rope), shape));
  const dk = tf6.tidy(() => asRows(applyRopeBackward(tf6.transpose(tf6.reshape(dKeysT, [batch, heads, headDim, tokens]), [0, 3, 1, 2]), rope), shape));
  const dv = mergeHeads(dValues, shape);
  const dQkv = tf6.concat([dq, dk, dv], 1);
  disposeAll(dq, dk, dv);
  return dQkv;
}

// src/internals/linear.ts
import * as tf8 from "@tensorflow/tfjs-core";

// src/internals/linear-op.ts
import * as tf7 from "@tensorflow/tfjs-core";
var linearWithBias = tf7.customGrad((...args) => {
  const [x, weight, bias, save] = args;
  save([x]);
  return {
    value: tf7.fused.matMul({ a: x, b: weight, bias }),
    gradFunc: (dy, saved) => {
      const [savedX] = saved;
      const dy2d = dy;
      return tf7.tidy(() => [
        tf7.matMul(dy2d, tf7.transpose(weight)),
        tf7.matMul(tf7.transpose(savedX), dy2d),
        tf7.sum(dy2d, 0)
      ]);
    }
  };
});
function linear2d(x, weight, bias) {
  if (x.rank !== 2 || x.shape[1] !== weight.shape[0]) {
    throw new Error(`linear: input must be [N, ${weight.shape[0]}], found [${x.shape.join(", ")}]`);
  }
  return linearWithBias(x, weight, bias);
}

// src/internals/linear.ts
var Linear = class {
  constructor(name, inFeatures, outFeatures, variablePrefix) {
    this.name = name;
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = zerosVariable([inFeatures, outFeatures], `${variablePrefix}${name}.weight`);
    this.bias = zerosVariable([outFeatures], `${variablePrefix}${name}.bias`);
  }
  weight;
  bias;
  /** x [N, in] -> [N, out]. */
  apply(x) {
    return linear2d(x, this.weight, this.bias);
  }
  /** The two parameters in PyTorch state-dict order (weight, bias). */
  slots() {
    return [
      { name: `${this.name}.weight`, variable: this.weight, torchShape: [this.outFeatures, this.inFeatures], transposed: true, fanIn: this.inFeatures, kind: "weight" },
      { name: `${this.name}.bias`, variable: this.bias, torchShape: [this.outFeatures], transposed: false, fanIn: this.inFeatures, kind: "bias" }
    ];
  }
};
function zerosVariable(shape, name) {
  const initial = tf8.zeros(shape);
  const variable2 = tf8.variable(initial, true, name);
  initial.dispose();
  return variable2;
}

// src/block.ts
var ACTIVATION_KEYS = [
  "modulation",
  "normalized1",
  "rstd1",
  "queries",
  "keysT",
  "values",
  "attended",
  "projected",
  "normalized2",
  "rstd2",
  "mlpHidden",
  "mlpOutput"
];
var WEIGHT_KEYS = [
  "qkvW",
  "qkvB",
  "projW",
  "projB",
  "mlpInW",
  "mlpInB",
  "mlpOutW",
  "mlpOutB",
  "adaW",
  "adaB"
];
var DiTBlock = class {
  constructor(index, hiddenSize, numHeads, variablePrefix) {
    this.index = index;
    this.hiddenSize = hiddenSize;
    this.numHeads = numHeads;
    const name = `blocks.${index}`;
    this.qkv = new Linear(`${name}.qkv`, hiddenSize, 3 * hiddenSize, variablePrefix);
    this.proj = new Linear(`${name}.proj`, hiddenSize, hiddenSize, variablePrefix);
    this.mlpIn = new Linear(`${name}.mlp.0`, hiddenSize, 4 * hiddenSize, variablePrefix);
    this.mlpOut = new Linear(`${name}.mlp.2`, 4 * hiddenSize, hiddenSize, variablePrefix);
    this.adaLN = new Linear(`${name}.adaLN_modulation.1`, hiddenSize, 6 * hiddenSize, variablePrefix);
  }
  qkv;
  proj;
  mlpIn;
  mlpOut;
  adaLN;
  /** Parameters in PyTorch state-dict (module registration) order. */
  slots() {
    return [this.qkv, this.proj, this.mlpIn, this.mlpOut, this.adaLN].flatMap((layer) => layer.slots());
  }
  /** x [B * N, D] and SiLU(c) [B, D] -> [B * N, D]. Differentiable (tf.grads, tf.variableGrads). */
  apply(x, siluC, context) {
    const shape = { batch: context.batch, tokens: context.tokens, hiddenSize: this.hiddenSize, numHeads: this.numHeads };
    const { rope, checkpointing } = context;
    const op = tf9.customGrad((...args) => {
      const save = args[args.length - 1];
      const [input, conditioning, ...weightList] = args;
      const weights = Object.fromEntries(WEIGHT_KEYS.map((key, i) => [key, weightList[i]]));
      const recording = tf9.engine().state.gradientDepth > 0;
      const { output, activations } = blockForward(input, conditioning, weights, rope, shape, recording && !checkpointing);
      if (activations) {
        const kept = ACTIVATION_KEYS.map((key) => activations[key]);
        save([conditioning, rope.cos, rope.sin, ...kept]);
        tf9.dispose(kept);
      } else {
        save([conditioning, rope.cos, rope.sin, input]);
      }
      return {
        value: output,
        gradFunc: (dy, saved) => tf9.tidy(() => {
          const [savedConditioning, cos2, sin2, ...rest] = saved;
          const savedRope = { cos: cos2, sin: sin2 };
          const recompute = rest.length === 1;
          let replayed;
          if (recompute) {
            const recomputed = blockForward(rest[0], savedConditioning, weights, savedRope, shape, true);
            recomputed.output.dispose();
            replayed = recomputed.activations;
          } else {
            replayed = Object.fromEntries(ACTIVATION_KEYS.map((key, i) => [key, rest[i]]));
          }
          const grads = blockBackward(dy, savedConditioning, weights, replayed, savedRope, shape);
          if (recompute) tf9.dispose(Object.values(replayed));
          return [grads.dx, grads.dSiluC, ...WEIGHT_KEYS.map((key) => grads.weights[key])];
        })
      };
    });
    const variables = [this.qkv.weight, this.qkv.bias, this.proj.weight, this.proj.bias, this.mlpIn.weight, this.mlpIn.bias, this.mlpOut.weight, this.mlpOut.bias, this.adaLN.weight, this.adaLN.bias];
    return op(x, siluC, ...variables);
  }
};

// src/config.ts
var DEFAULT_CONFIG = Object.freeze({
  inChannels: 4,
  patchSize: 2,
  hiddenSize: 1024,
  depth: 12,
  numHeads: 16,
  textDim: 1152,
  textLength: 256
});
var DiTConfigError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "DiTConfigError";
  }
};
var FIELDS = Object.keys(DEFAULT_CONFIG);
function resolveConfig(partial = {}) {
  const config = { ...DEFAULT_CONFIG };
  for (const field of FIELDS) {
    if (partial[field] !== void 0) config[field] = partial[field];
  }
  validateConfig(config);
  return config;
}
function validateConfig(config) {
  for (const field of FIELDS) {
    const value = config[field];
    if (!Number.isInteger(value) || value <= 0) {
      throw new DiTConfigError(`config.${field} must be a positive integer, found ${JSON.stringify(value)}`);
    }
  }
  if (config.hiddenSize % config.numHeads !== 0) {
    throw new DiTConfigError(
      `config.hiddenSize (${config.hiddenSize}) must be divisible by config.numHeads (${config.numHeads})`
    );
  }
  const headDim = config.hiddenSize / config.numHeads;
  if (headDim % 4 !== 0) {
    throw new DiTConfigError(
      `head_dim = hiddenSize / numHeads = ${config.hiddenSize} / ${config.numHeads} = ${headDim} must be divisible by 4 for 2D RoPE`
    );
  }
}
function derivedSizes(config) {
  return {
    headDim: config.hiddenSize / config.numHeads,
    patchDim: config.inChannels * config.patchSize * config.patchSize,
    mlpHidden: 4 * config.hiddenSize
  };
}
function tokenLayout(config, height, width) {
  const p = config.patchSize;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height <= 0 || width <= 0 || height % p !== 0 || width % p !== 0) {
    throw new DiTConfigError(
      `latent height x width = ${height} x ${width} must be positive multiples of patchSize ${p}`
    );
  }
  const gridHeight = height / p;
  const gridWidth = width / p;
  return { gridHeight, gridWidth, imageTokens: gridHeight * gridWidth, sequenceLength: config.textLength + gridHeight * gridWidth };
}
var JSON_KEYS = {
  inChannels: "in_channels",
  patchSize: "patch_size",
  hiddenSize: "hidden_size",
  depth: "depth",
  numHeads: "num_heads",
  textDim: "text_embed_dim",
  textLength: "text_length"
};
var CONFIG_CLASS_NAME = "SingleStreamDiTV2";
function configToJson(config) {
  const json = { _class_name: CONFIG_CLASS_NAME };
  for (const field of FIELDS) json[JSON_KEYS[field]] = config[field];
  return json;
}
function configFromJson(json, source = "config.json") {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new DiTConfigError(`${source}: expected a JSON object, found ${JSON.stringify(json)?.slice(0, 80)}`);
  }
  const record = json;
  if (record._class_name !== void 0 && record._class_name !== CONFIG_CLASS_NAME) {
    throw new DiTConfigError(`${source}: _class_name is ${JSON.stringify(record._class_name)}, expected "${CONFIG_CLASS_NAME}"`);
  }
  const partial = {};
  const known = /* @__PURE__ */ new Map();
  for (const field of FIELDS) {
    known.set(field, field);
    known.set(JSON_KEYS[field], field);
  }
  for (const [key, value] of Object.entries(record)) {
    if (key.startsWith("_")) continue;
    const field = known.get(key);
    if (!field) {
      throw new DiTConfigError(`${source}: unknown key "${key}" (known: ${FIELDS.map((f) => JSON_KEYS[f]).join(", ")})`);
    }
    if (typeof value !== "number") throw new DiTConfigError(`${source}: ${key} must be a number, found ${JSON.stringify(value)}`);
    partial[field] = value;
  }
  try {
    return resolveConfig(partial);
  } catch (error) {
    if (error instanceof DiTConfigError) throw new DiTConfigError(`${source}: ${error.message}`);
    throw error;
  }
}

// src/internals/sequence.ts
import * as tf10 from "@tensorflow/tfjs-core";
function joinSequence(textRows, imageRows, batch) {
  const width = textRows.shape[1];
  const textLength = textRows.shape[0] / batch;
  const imageTokens = imageRows.shape[0] / batch;
  const op = tf10.customGrad((...args) => {
    const [text, image] = args;
    return {
      value: tf10.tidy(
        () => tf10.reshape(tf10.concat([tf10.reshape(text, [batch, textLength, width]), tf10.reshape(image, [batch, imageTokens, width])], 1), [-1, width])
      ),
      gradFunc: (dy) => tf10.tidy(() => {
        const [dText, dImage] = tf10.split(tf10.reshape(dy, [batch, textLength + imageTokens, width]), [textLength, imageTokens], 1);
        return [tf10.reshape(dText, [-1, width]), tf10.reshape(dImage, [-1, width])];
      })
    };
  });
  return op(textRows, imageRows);
}

// src/init.ts
import * as tf11 from "@tensorflow/tfjs-core";
import { toRng } from "@dit/core";
var EMBEDDER_WEIGHTS = /* @__PURE__ */ new Set(["x_embedder.weight", "text_embedder.weight", "t_embedder.0.weight", "t_embedder.2.weight"]);
function initRule(name, fanIn) {
  if (EMBEDDER_WEIGHTS.has(name)) return { kind: "normal", std: 0.02 };
  if (name.startsWith("final_layer.") || /^blocks\.\d+\.adaLN_modulation\.1\./.test(name)) return { kind: "zeros" };
  return { kind: "uniform", bound: 1 / Math.sqrt(fanIn) };
}
function initializeWeights(model, options = {}) {
  const root = toRng(options.seed, 0);
  for (const slot of model.slots()) {
    const rule = initRule(slot.name, slot.fanIn);
    const size = slot.variable.size;
    const rng = root.fork(slot.name);
    let values;
    if (rule.kind === "zeros") values = new Float32Array(size);
    else if (rule.kind === "normal") values = rng.normalArray(size, 0, rule.std);
    else values = rng.uniformArray(size, -rule.bound, rule.bound);
    tf11.tidy(() => slot.variable.assign(tf11.tensor(values, slot.variable.shape, "float32")));
  }
}

// src/memory.ts
import * as tf13 from "@tensorflow/tfjs-core";

// src/timestep.ts
import * as tf12 from "@tensorflow/tfjs-core";
var TIMESTEP_FEATURES = 256;
function timestepEmbedding(t, dim = TIMESTEP_FEATURES) {
  return tf12.tidy(() => {
    const half = dim / 2;
    const freqs = Float32Array.from({ length: half }, (_, i) => Math.exp(-Math.log(1e4) * i / half));
    const args = tf12.mul(tf12.reshape(tf12.cast(t, "float32"), [-1, 1]), tf12.tensor2d(freqs, [1, half]));
    return tf12.concat([tf12.cos(args), tf12.sin(args)], 1);
  });
}

// src/state-dict.ts
function stateDictShapes(config = {}) {
  const full = resolveConfig(config);
  const { hiddenSize: d, textDim, depth } = full;
  const { patchDim, mlpHidden } = derivedSizes(full);
  const linear2 = (name, inFeatures, outFeatures) => [
    { name: `${name}.weight`, shape: [outFeatures, inFeatures] },
    { name: `${name}.bias`, shape: [outFeatures] }
  ];
  const entries = [
    ...linear2("x_embedder", patchDim, d),
    ...linear2("text_embedder", textDim, d),
    ...linear2("t_embedder.0", TIMESTEP_FEATURES, d),
    ...linear2("t_embedder.2", d, d)
  ];
  for (let i = 0; i < depth; i++) {
    entries.push(
      ...linear2(`blocks.${i}.qkv`, d, 3 * d),
      ...linear2(`blocks.${i}.proj`, d, d),
      ...linear2(`blocks.${i}.mlp.0`, d, mlpHidden),
      ...linear2(`blocks.${i}.mlp.2`, mlpHidden, d),
      ...linear2(`blocks.${i}.adaLN_modulation.1`, d, 6 * d)
    );
  }
  entries.push(...linear2("final_layer", d, patchDim));
  return entries;
}
function countParameters(config = {}) {
  return stateDictShapes(config).reduce((total, entry) => total + entry.shape.reduce((a, b) => a * b, 1), 0);
}

// src/memory.ts
var FLOAT_BYTES = 4;
var MODEL = {
  /** Inference: the MLP phase (input, residual, [T, 4D] hidden, GELU temporaries, views). */
  inferenceMlp: 26,
  /** Inference: the attention phase is dominated by one head's scores and probabilities. */
  inferenceAttentionRows: 0.5,
  inferenceAttentionMaps: 2.5,
  /** Training: activations a block keeps for its backward pass (13 S), or only its input when checkpointed. */
  savedPerBlock: 13,
  savedPerCheckpointedBlock: 1,
  /** Transient peak inside one block's backward pass, and its attention maps. */
  backwardTransient: 21.5,
  backwardAttentionMaps: 2.25
};
function estimateMemory(config, options = {}) {
  const full = resolveConfig(config);
  const { batch = 1, height = 64, width = 64, training = false, checkpointing = false, optimizerStates = 0 } = options;
  if (!Number.isInteger(batch) || batch <= 0) throw new Error(`estimateMemory: batch must be a positive integer, found ${batch}`);
  const { sequenceLength: tokens } = tokenLayout(full, height, width);
  const { hiddenSize: d, depth, textDim, textLength, inChannels } = full;
  const rows = FLOAT_BYTES * batch * tokens * d;
  const maps = FLOAT_BYTES * tokens * tokens;
  const parameterBytes = FLOAT_BYTES * countParameters(full);
  const blockBytes = FLOAT_BYTES * (18 * d * d + 15 * d);
  const textRows = FLOAT_BYTES * batch * textLength * textDim;
  const inputBytes = FLOAT_BYTES * (batch * inChannels * height * width + batch + batch * textLength * textDim);
  const optimizerBytes = training ? optimizerStates * parameterBytes : 0;
  let gradientBytes = 0;
  let activationBytes;
  if (!training) {
    activationBytes = Math.max(MODEL.inferenceMlp * rows, MODEL.inferenceAttentionRows * rows + MODEL.inferenceAttentionMaps * maps);
  } else {
    const saved = textRows + depth * (checkpointing ? MODEL.savedPerCheckpointedBlock : MODEL.savedPerBlock) * rows + depth * rows + (checkpointing ? MODEL.savedPerBlock * rows : 0);
    const inLastBlock = saved + MODEL.backwardTransient * rows + MODEL.backwardAttentionMaps * maps;
    const atEnd = saved + rows + textRows;
    if (inLastBlock + (depth - 1) * blockBytes >= atEnd + parameterBytes) {
      gradientBytes = (depth - 1) * blockBytes;
      activationBytes = inLastBlock;
    } else {
      gradientBytes = parameterBytes;
      activationBytes = atEnd;
    }
  }
  return {
    parameterBytes,
    gradientBytes,
    optimizerBytes,
    inputBytes,
    activationBytes,
    totalBytes: parameterBytes + gradientBytes + optimizerBytes + inputBytes + activationBytes,
    sequenceLength: tokens
  };
}
var WASM_HEAP_BYTES = 4 * 1024 ** 3;
var MemoryLimitError = class extends Error {
  constructor(message, estimate, limitBytes) {
    super(message);
    this.estimate = estimate;
    this.limitBytes = limitBytes;
    this.name = "MemoryLimitError";
  }
};
var gib = (bytes) => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
function assertFitsBackend(config, options = {}) {
  const { backend = tf13.getBackend(), heapBytes = WASM_HEAP_BYTES, usableFraction = 0.7, ...shape } = options;
  const estimate = estimateMemory(config, shape);
  const limit = heapBytes * usableFraction;
  if (backend !== "wasm" || estimate.totalBytes <= limit) return estimate;
  const { batch = 1, height = 64, width = 64, training = false, checkpointing = false } = shape;
  const what = training ? `a training step${checkpointing ? " with gradient checkpointing" : ""}` : "a forward pass";
  const hints = [];
  if (training && !checkpointing) {
    const withCheckpointing = estimateMemory(config, { ...shape, checkpointing: true }).totalBytes;
    hints.push(`gradientCheckpointing: true (about ${gib(withCheckpointing)})`);
  }
  if (batch > 1) hints.push(`batch ${Math.floor(batch / 2)} (about ${gib(estimateMemory(config, { ...shape, batch: Math.floor(batch / 2) }).totalBytes)})`);
  hints.push("a native backend (@tensorflow/tfjs-node), which has no such cap");
  throw new MemoryLimitError(
    `SingleStreamDiTV2: ${what} at batch ${batch}, ${height}x${width} latents (${estimate.sequenceLength} tokens, hidden ${resolveConfig(config).hiddenSize}, depth ${resolveConfig(config).depth}) needs about ${gib(estimate.totalBytes)} (parameters ${gib(estimate.parameterBytes)}, gradients ${gib(estimate.gradientBytes)}, optimizer ${gib(estimate.optimizerBytes)}, activations ${gib(estimate.activationBytes)}), more than the ${gib(limit)} usable of the wasm backend's ${gib(heapBytes)} heap. Try ${hints.join(", or ")}.`,
    estimate,
    limit
  );
}

// src/patchify.ts
import * as tf14 from "@tensorflow/tfjs-core";
function patchify(x, patchSize) {
  const [batch, channels, height, width] = x.shape;
  const p = patchSize;
  const gridHeight = height / p;
  const gridWidth = width / p;
  return tf14.tidy(() => {
    const six = tf14.reshape(x, [batch, channels, gridHeight, p, gridWidth, p]);
    return tf14.reshape(tf14.transpose(six, [0, 2, 4, 1, 3, 5]), [batch * gridHeight * gridWidth, channels * p * p]);
  });
}
function unpatchify(tokens, shape) {
  const { batch, channels, height, width, patchSize: p } = shape;
  const gridHeight = height / p;
  const gridWidth = width / p;
  return tf14.tidy(() => {
    const six = tf14.reshape(tokens, [batch, gridHeight, gridWidth, channels, p, p]);
    return tf14.reshape(tf14.transpose(six, [0, 3, 1, 4, 2, 5]), [batch, channels, height, width]);
  });
}

// src/weights.ts
import { mkdir } from "fs/promises";
import { dirname } from "path";
import * as tf15 from "@tensorflow/tfjs-core";
import { openSafetensors, writeSafetensors } from "@dit/core";
var WeightsError = class extends Error {
  constructor(message, report) {
    super(message);
    this.report = report;
    this.name = "WeightsError";
  }
};
var WRAPPER_PREFIXES = ["_orig_mod.", "module."];
var FLOAT_DTYPES = /* @__PURE__ */ new Set(["F32", "F16", "BF16", "F64"]);
function commonWrapperPrefix(keys, expected) {
  if (keys.some((key) => expected.has(key))) return "";
  return WRAPPER_PREFIXES.find((prefix) => keys.length > 0 && keys.every((key) => key.startsWith(prefix))) ?? "";
}
var shapeText = (shape) => `[${shape.join(", ")}]`;
function describeProblems(path, report) {
  const lines = [];
  const limit = 12;
  const list = (items, title, show) => {
    if (items.length === 0) return;
    lines.push(`${title} (${items.length}):`);
    for (const item of items.slice(0, limit)) lines.push(`  ${show(item)}`);
    if (items.length > limit) lines.push(`  ... and ${items.length - limit} more`);
  };
  list(
    report.mismatched,
    "wrong shape or dtype",
    (m) => m.dtype ? `${m.name}: dtype ${m.dtype} is not a float type` : `${m.name}: expected ${shapeText(m.expected)}, found ${shapeText(m.found)}`
  );
  list(report.missing, "missing from the file", (name) => name);
  list(report.unexpected, "not parameters of this model", (name) => name);
  return `${path}: checkpoint does not match the model (strict loading; pass { strict: false } to load what fits)
${lines.join("\n")}`;
}
function planLoad(source, slots) {
  const expectedNames = new Set(slots.map((slot) => slot.name));
  const keys = source.keys();
  const strippedPrefix = commonWrapperPrefix(keys, expectedNames);
  const fileKeyOf = new Map(keys.map((key) => [key.slice(strippedPrefix.length), key]));
  const report = { loaded: [], missing: [], unexpected: [], mismatched: [], strippedPrefix, dtypes: [] };
  const dtypes = /* @__PURE__ */ new Set();
  for (const slot of slots) {
    const key = fileKeyOf.get(slot.name);
    if (key === void 0) {
      report.missing.push(slot.name);
      continue;
    }
    const info = source.info(key);
    if (!FLOAT_DTYPES.has(info.dtype)) {
      report.mismatched.push({ name: slot.name, expected: slot.torchShape, found: info.shape, dtype: info.dtype });
    } else if (info.shape.length !== slot.torchShape.length || info.shape.some((d, i) => d !== slot.torchShape[i])) {
      report.mismatched.push({ name: slot.name, expected: slot.torchShape, found: info.shape });
    } else {
      report.loaded.push(slot.name);
      dtypes.add(info.dtype);
    }
  }
  for (const name of fileKeyOf.keys()) if (!expectedNames.has(name)) report.unexpected.push(fileKeyOf.get(name));
  report.dtypes = [...dtypes];
  return { report, fileKeyOf };
}
async function loadWeightsInto(slots, path, options = {}) {
  const { strict = true } = options;
  const source = await openSafetensors(path);
  try {
    const { report, fileKeyOf } = planLoad(source, slots);
    const problems = report.missing.length + report.unexpected.length + report.mismatched.length;
    if (strict && problems > 0) throw new WeightsError(describeProblems(path, report), report);
    const loaded = new Set(report.loaded);
    for (const slot of slots) {
      if (!loaded.has(slot.name)) continue;
      const tensor3 = await source.read(fileKeyOf.get(slot.name));
      tf15.tidy(() => {
        const value = tf15.tensor(tensor3.data, tensor3.shape, "float32");
        slot.variable.assign(slot.transposed ? tf15.transpose(value) : value);
      });
    }
    return report;
  } finally {
    await source.close();
  }
}
async function stateDictOf(slots) {
  const out = /* @__PURE__ */ new Map();
  for (const slot of slots) {
    const value = slot.transposed ? tf15.transpose(slot.variable) : slot.variable;
    const data = await value.data();
    if (value !== slot.variable) value.dispose();
    out.set(slot.name, { shape: [...slot.torchShape], data: Float32Array.from(data) });
  }
  return out;
}
async function saveWeightsFrom(slots, config, path, options = {}) {
  const tensors = await stateDictOf(slots);
  await mkdir(dirname(path), { recursive: true });
  await writeSafetensors(path, tensors, {
    dtype: options.dtype ?? "F32",
    metadata: { format: "pt", ...options.metadata, dit_config: JSON.stringify(configToJson(config)) }
  });
}

// src/pretrained.ts
import { existsSync, statSync } from "fs";
import { readFile } from "fs/promises";
import { dirname as dirname2, join } from "path";
import { openSafetensors as openSafetensors2, writeJsonAtomic } from "@dit/core";
var CONFIG_FILE = "config.json";
var WEIGHTS_FILE = "model.safetensors";
async function readConfig(path) {
  if (!existsSync(path)) throw new DiTConfigError(`${path}: no such file or folder`);
  const isDir = statSync(path).isDirectory();
  const folder = isDir ? path : dirname2(path);
  const weightsPath = isDir ? existsSync(join(path, WEIGHTS_FILE)) ? join(path, WEIGHTS_FILE) : path : path;
  const configPath = join(folder, CONFIG_FILE);
  if (existsSync(configPath)) {
    let json;
    try {
      json = JSON.parse(await readFile(configPath, "utf8"));
    } catch (error) {
      throw new DiTConfigError(`${configPath}: not valid JSON: ${error.message}`);
    }
    return { config: configFromJson(json, configPath), weightsPath };
  }
  const source = await openSafetensors2(weightsPath);
  try {
    const embedded = source.metadata.dit_config;
    if (!embedded) {
      throw new DiTConfigError(`${folder}: no ${CONFIG_FILE}, and ${weightsPath} carries no dit_config metadata; the architecture (e.g. num_heads) cannot be read from the weights alone`);
    }
    return { config: configFromJson(JSON.parse(embedded), `${weightsPath} (dit_config metadata)`), weightsPath };
  } finally {
    await source.close();
  }
}
async function loadPretrained(path, options, build) {
  const { config, weightsPath } = await readConfig(path);
  const model = build(config);
  try {
    await loadWeightsInto(model.slots(), weightsPath, options);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}
async function savePretrainedModel(slots, config, dir, options) {
  await saveWeightsFrom(slots, config, join(dir, WEIGHTS_FILE), options);
  await writeJsonAtomic(join(dir, CONFIG_FILE), configToJson(config));
}

// src/model.ts
var nextModelId = 0;
function silu(x) {
  return tf16.mul(x, tf16.sigmoid(x));
}
var SingleStreamDiTV2 = class _SingleStreamDiTV2 {
  config;
  /** Recompute blocks in the backward pass (see the constructor option). */
  gradientCheckpointing;
  checkMemory;
  xEmbedder;
  textEmbedder;
  timeEmbedderIn;
  timeEmbedderOut;
  blocks;
  finalLayer;
  disposed = false;
  constructor(options = {}) {
    const { seed = 0, initialize = true, gradientCheckpointing = false, checkMemory = true, ...architecture } = options;
    this.config = Object.freeze(resolveConfig(architecture));
    this.gradientCheckpointing = gradientCheckpointing;
    this.checkMemory = checkMemory;
    const { hiddenSize, textDim, depth, numHeads } = this.config;
    const { patchDim } = derivedSizes(this.config);
    const prefix = `dit${nextModelId++}/`;
    this.xEmbedder = new Linear("x_embedder", patchDim, hiddenSize, prefix);
    this.textEmbedder = new Linear("text_embedder", textDim, hiddenSize, prefix);
    this.timeEmbedderIn = new Linear("t_embedder.0", TIMESTEP_FEATURES, hiddenSize, prefix);
    this.timeEmbedderOut = new Linear("t_embedder.2", hiddenSize, hiddenSize, prefix);
    this.blocks = Array.from({ length: depth }, (_, i) => new DiTBlock(i, hiddenSize, numHeads, prefix));
    this.finalLayer = new Linear("final_layer", hiddenSize, patchDim, prefix);
    if (initialize) initializeWeights(this, { seed });
  }
  /** Reads `config.json` and `model.safetensors` from a folder (see `savePretrained`). */
  static fromPretrained(path, options = {}) {
    const { model: runtime, ...loadOptions } = options;
    return loadPretrained(path, loadOptions, (config) => new _SingleStreamDiTV2({ ...config, initialize: false, ...runtime }));
  }
  /**
   * The velocity for latents x [B, C, H, W] at times t [B] (in [0, 1], as given) with text
   * embeddings [B, textLength, textDim]. Usable inside tf.tidy and under tf.variableGrads.
   */
  forward(x, t, text) {
    this.assertUsable();
    const { batch, height, width } = this.checkInputs(x, t, text);
    const { inChannels, patchSize, textLength, hiddenSize } = this.config;
    const layout = tokenLayout(this.config, height, width);
    if (this.checkMemory) {
      const training = tf16.engine().state.gradientDepth > 0;
      const limits = typeof this.checkMemory === "object" ? this.checkMemory : {};
      assertFitsBackend(this.config, { ...limits, batch, height, width, training, checkpointing: this.gradientCheckpointing });
    }
    return tf16.tidy(() => {
      let tokens = tf16.tidy(() => {
        const imageRows = this.xEmbedder.apply(patchify(x, patchSize));
        const textRows = this.textEmbedder.apply(tf16.reshape(text, [batch * textLength, this.config.textDim]));
        return joinSequence(textRows, imageRows, batch);
      });
      const c = this.timeEmbedderOut.apply(silu(this.timeEmbedderIn.apply(timestepEmbedding(t))));
      const siluC = silu(c);
      const context = {
        batch,
        tokens: layout.sequenceLength,
        rope: ropeTables({ textLength, gridHeight: layout.gridHeight, gridWidth: layout.gridWidth, headDim: derivedSizes(this.config).headDim }),
        checkpointing: this.gradientCheckpointing
      };
      for (const block of this.blocks) {
        const next = block.apply(tokens, siluC, context);
        tokens.dispose();
        tokens = next;
      }
      const patches = tf16.reshape(this.finalLayer.apply(tokens), [batch, layout.sequenceLength, -1]);
      const imagePatches = tf16.reshape(tf16.slice(patches, [0, textLength, 0], [batch, layout.imageTokens, -1]), [batch * layout.imageTokens, -1]);
      return unpatchify(imagePatches, { batch, channels: inChannels, height, width, patchSize });
    });
  }
  /**
   * Runs `loss` (which calls `forward`) under a gradient tape and returns its value and the
   * gradient of every trainable variable, aligned with `trainableVariables` (so
   * `namedVariables()[i].name` names `gradients[i]`). The caller disposes both.
   */
  valueAndGradients(loss) {
    const variables = this.trainableVariables;
    const { value, grads } = tf16.variableGrads(loss, variables);
    return { value, gradients: variables.map((variable2) => grads[variable2.name]) };
  }
  /** Peak-memory estimate of this model for an input size (see `estimateMemory`). */
  estimateMemory(options = {}) {
    return estimateMemory(this.config, { ...options, checkpointing: this.gradientCheckpointing });
  }
  /** Every parameter with its PyTorch name and layout, in state-dict order. */
  namedVariables() {
    return this.slots().map(({ name, variable: variable2, torchShape, transposed }) => ({ name, variable: variable2, torchShape, transposed }));
  }
  /** The trainable variables, in state-dict order (stable across runs and models of one config). */
  get trainableVariables() {
    return this.slots().map((slot) => slot.variable);
  }
  parameterCount() {
    return this.slots().reduce((total, slot) => total + slot.variable.size, 0);
  }
  /** Internal: parameters with initialisation facts, in state-dict order. */
  slots() {
    this.assertUsable();
    return [
      ...this.xEmbedder.slots(),
      ...this.textEmbedder.slots(),
      ...this.timeEmbedderIn.slots(),
      ...this.timeEmbedderOut.slots(),
      ...this.blocks.flatMap((block) => block.slots()),
      ...this.finalLayer.slots()
    ];
  }
  /** Loads a safetensors checkpoint with PyTorch state-dict names (F32, F16 or BF16). */
  loadWeights(path, options = {}) {
    this.assertUsable();
    return loadWeightsInto(this.slots(), path, options);
  }
  /** Writes the weights with PyTorch names and layouts ([out, in] Linear weights). */
  saveWeights(path, options = {}) {
    this.assertUsable();
    return saveWeightsFrom(this.slots(), this.config, path, options);
  }
  /** Writes `config.json` and `model.safetensors` into a folder, loadable with `fromPretrained`. */
  savePretrained(dir, options = {}) {
    this.assertUsable();
    return savePretrainedModel(this.slots(), this.config, dir, options);
  }
  /** The weights as PyTorch would hold them: name -> { shape, data } in state-dict order. */
  stateDict() {
    this.assertUsable();
    return stateDictOf(this.slots());
  }
  dispose() {
    if (this.disposed) return;
    for (const slot of this.slots()) slot.variable.dispose();
    this.disposed = true;
  }
  assertUsable() {
    if (this.disposed) throw new Error("SingleStreamDiTV2: the model has been disposed");
  }
  checkInputs(x, t, text) {
    const { inChannels, textLength, textDim } = this.config;
    if (x.rank !== 4 || x.shape[1] !== inChannels) {
      throw new Error(`forward: x must be [B, ${inChannels}, H, W] latents, found [${x.shape.join(", ")}]`);
    }
    const [batch, , height, width] = x.shape;
    tokenLayout(this.config, height, width);
    if (t.rank !== 1 || t.shape[0] !== batch) {
      throw new Error(`forward: t must be [${batch}] (one time per sample of x), found [${t.shape.join(", ")}]`);
    }
    if (text.rank !== 3 || text.shape[0] !== batch || text.shape[1] !== textLength || text.shape[2] !== textDim) {
      throw new Error(`forward: text must be [${batch}, ${textLength}, ${textDim}] ([B, textLength, textDim]), found [${text.shape.join(", ")}]`);
    }
    for (const [name, tensor3] of [["x", x], ["t", t], ["text", text]]) {
      if (tensor3.dtype !== "float32") throw new Error(`forward: ${name} must be float32, found ${tensor3.dtype}`);
    }
    return { batch, height, width };
  }
};

// src/presets.ts
var presets = {
  seed: { ...DEFAULT_CONFIG },
  small: { inChannels: 4, patchSize: 2, hiddenSize: 256, depth: 4, numHeads: 4, textDim: 1152, textLength: 256 },
  tiny: { inChannels: 4, patchSize: 2, hiddenSize: 64, depth: 2, numHeads: 4, textDim: 48, textLength: 16 }
};

// src/flops.ts
function forwardFlops(config, options = {}) {
  const full = resolveConfig(config);
  const { batch = 1, height = 64, width = 64 } = options;
  const { imageTokens, sequenceLength: n } = tokenLayout(full, height, width);
  const { hiddenSize: d, depth, textDim, textLength, inChannels, patchSize } = full;
  const patchDim = inChannels * patchSize * patchSize;
  const embed = 2 * batch * (imageTokens * patchDim * d + textLength * textDim * d + TIMESTEP_FEATURES * d + d * d);
  const blockLinears = 2 * batch * n * d * (3 * d + d + 8 * d) + 2 * batch * d * 6 * d;
  const attention = 4 * batch * n * n * d;
  const final = 2 * batch * n * d * patchDim;
  return embed + depth * (blockLinears + attention) + final;
}
function trainingStepFlops(config, options = {}) {
  const full = resolveConfig(config);
  const { batch = 1, checkpointing = false } = options;
  const { sequenceLength: n } = tokenLayout(full, options.height ?? 64, options.width ?? 64);
  const forward = forwardFlops(full, options);
  const recomputedScores = full.depth * 2 * batch * n * n * full.hiddenSize;
  return 3 * forward + recomputedScores + (checkpointing ? forward : 0);
}
export {
  CONFIG_FILE,
  DEFAULT_CONFIG,
  DiTConfigError,
  MemoryLimitError,
  SingleStreamDiTV2,
  TIMESTEP_FEATURES,
  WASM_HEAP_BYTES,
  WEIGHTS_FILE,
  WeightsError,
  applyRope,
  assertFitsBackend,
  configFromJson,
  configToJson,
  countParameters,
  estimateMemory,
  forwardFlops,
  initRule,
  initializeWeights,
  patchify,
  presets,
  resolveConfig,
  rope2dAngles,
  ropeTables,
  stateDictShapes,
  timestepEmbedding,
  tokenLayout,
  trainingStepFlops,
  unpatchify,
  validateConfig
};
//# sourceMappingURL=index.js.map