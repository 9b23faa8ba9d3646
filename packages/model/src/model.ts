import * as tf from '@tensorflow/tfjs-core';
import { type RngLike } from '@dit/core';
import { DiTBlock, type BlockContext } from './block.js';
import { derivedSizes, resolveConfig, tokenLayout, type DiTConfig } from './config.js';
import { Linear } from './internals/linear.js';
import { joinSequence } from './internals/sequence.js';
import { PARAMETER_SLOTS, type ParameterSlot } from './internals/parameters.js';
import { initializeWeights } from './init.js';
import { assertFitsBackend, estimateMemory, type BackendFitOptions, type MemoryEstimate, type MemoryEstimateOptions } from './memory.js';
import { patchify, unpatchify } from './patchify.js';
import { ropeTables } from './rope.js';
import { TIMESTEP_FEATURES, timestepEmbedding } from './timestep.js';
import { loadWeightsInto, saveWeightsFrom, stateDictOf, type LoadReport, type LoadWeightsOptions, type SaveWeightsOptions, type StateDictTensor } from './weights.js';
import { loadPretrained, savePretrainedModel } from './pretrained.js';

/** Constructor options: the architecture (every field defaults to `presets.original`) plus run-time choices. */
export interface SingleStreamDiTV2Options extends Partial<DiTConfig> {
  /** Seed (or Rng) of the initial weights (SPEC section 2). Default 0. */
  seed?: RngLike;
  /** Fill the weights with SPEC section 2's initialisation; false leaves zeros (for loading). Default true. */
  initialize?: boolean;
  /** Recompute each block in the backward pass instead of keeping its activations. Default false. */
  gradientCheckpointing?: boolean;
  /**
   * Before running on the wasm backend (4 GiB heap), check with `estimateMemory` that the
   * forward or training step fits and throw a MemoryLimitError otherwise (a wasm out-of-memory
   * abort cannot be caught). An object overrides the heap size or backend checked. Default true.
   */
  checkMemory?: boolean | Pick<BackendFitOptions, 'backend' | 'heapBytes' | 'usableFraction'>;
}

export interface FromPretrainedOptions extends LoadWeightsOptions {
  /** Run-time options of the new model. */
  model?: Pick<SingleStreamDiTV2Options, 'gradientCheckpointing' | 'checkMemory'>;
}

/** A variable with the PyTorch name and layout it corresponds to. */
export interface NamedVariable {
  /** PyTorch state-dict name, e.g. `blocks.3.mlp.0.weight`. */
  name: string;
  variable: tf.Variable;
  /** Shape in a PyTorch checkpoint: [out, in] for Linear weights. */
  torchShape: number[];
  /** True for Linear weights, which are stored here as [in, out] (the transpose). */
  transposed: boolean;
}

let nextModelId = 0;

function silu(x: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(x, tf.sigmoid(x));
}

/**
 * The single-stream DiT of SPEC section 2, on TensorFlow.js, weight-compatible with the
 * PyTorch original: forward(x [B, C, H, W], t [B], text [B, L, textDim]) -> velocity [B, C, H, W].
 */
export class SingleStreamDiTV2 {
  readonly config: Readonly<DiTConfig>;
  /** Recompute blocks in the backward pass (see the constructor option). */
  gradientCheckpointing: boolean;
  checkMemory: NonNullable<SingleStreamDiTV2Options['checkMemory']>;

  readonly xEmbedder: Linear;
  readonly textEmbedder: Linear;
  readonly timeEmbedderIn: Linear;
  readonly timeEmbedderOut: Linear;
  readonly blocks: DiTBlock[];
  readonly finalLayer: Linear;
  private disposed = false;

  constructor(options: SingleStreamDiTV2Options = {}) {
    const { seed = 0, initialize = true, gradientCheckpointing = false, checkMemory = true, ...architecture } = options;
    this.config = Object.freeze(resolveConfig(architecture));
    this.gradientCheckpointing = gradientCheckpointing;
    this.checkMemory = checkMemory;
    const { hiddenSize, textDim, depth, numHeads } = this.config;
    const { patchDim } = derivedSizes(this.config);
    // tfjs variable names are global; a per-model prefix lets several models coexist.
    const prefix = `dit${nextModelId++}/`;
    this.xEmbedder = new Linear('x_embedder', patchDim, hiddenSize, prefix);
    this.textEmbedder = new Linear('text_embedder', textDim, hiddenSize, prefix);
    this.timeEmbedderIn = new Linear('t_embedder.0', TIMESTEP_FEATURES, hiddenSize, prefix);
    this.timeEmbedderOut = new Linear('t_embedder.2', hiddenSize, hiddenSize, prefix);
    this.blocks = Array.from({ length: depth }, (_, i) => new DiTBlock(i, hiddenSize, numHeads, prefix));
    this.finalLayer = new Linear('final_layer', hiddenSize, patchDim, prefix);
    if (initialize) initializeWeights(this, { seed });
  }

  /** Reads `config.json` and `model.safetensors` from a folder (see `savePretrained`). */
  static fromPretrained(path: string, options: FromPretrainedOptions = {}): Promise<SingleStreamDiTV2> {
    const { model: runtime, ...loadOptions } = options;
    return loadPretrained(path, loadOptions, (config) => new SingleStreamDiTV2({ ...config, initialize: false, ...runtime }));
  }

  /**
   * The velocity for latents x [B, C, H, W] at times t [B] (in [0, 1], as given) with text
   * embeddings [B, textLength, textDim], all float32 (ranks are checked at run time). Usable
   * inside tf.tidy and under tf.grads / tf.variableGrads.
   */
  forward(x: tf.Tensor, t: tf.Tensor, text: tf.Tensor): tf.Tensor4D {
    this.assertUsable();
    const { batch, height, width } = this.checkInputs(x, t, text);
    const { inChannels, patchSize, textLength, hiddenSize } = this.config;
    const layout = tokenLayout(this.config, height, width);
    if (this.checkMemory) {
      // Inside tf.grads / tf.variableGrads the backward pass follows: check a training step.
      const training = tf.engine().state.gradientDepth > 0;
      const limits = typeof this.checkMemory === 'object' ? this.checkMemory : {};
      assertFitsBackend(this.config, { ...limits, batch, height, width, training, checkpointing: this.gradientCheckpointing });
    }
    return tf.tidy(() => {
      // SPEC section 2 steps 1-2: image patch tokens and text tokens, text first, as rows [B * N, D].
      let tokens = tf.tidy(() => {
        const imageRows = this.xEmbedder.apply(patchify(x as tf.Tensor4D, patchSize));
        const textRows = this.textEmbedder.apply(tf.reshape(text, [batch * textLength, this.config.textDim]) as tf.Tensor2D);
        return joinSequence(textRows, imageRows, batch);
      });
      // Step 3: c = Linear(SiLU(Linear(sinusoid(t)))); every block's adaLN starts with SiLU(c).
      const c = this.timeEmbedderOut.apply(silu(this.timeEmbedderIn.apply(timestepEmbedding(t as tf.Tensor1D))));
      const siluC = silu(c);
      // Step 4: the blocks.
      const context: BlockContext = {
        batch,
        tokens: layout.sequenceLength,
        rope: ropeTables({ textLength, gridHeight: layout.gridHeight, gridWidth: layout.gridWidth, headDim: derivedSizes(this.config).headDim }),
        checkpointing: this.gradientCheckpointing,
      };
      for (const block of this.blocks) {
        const next = block.apply(tokens, siluC, context);
        // Safe under a gradient tape too: the block op keeps its own copies of what it needs.
        tokens.dispose();
        tokens = next;
      }
      // Step 5: the final Linear on image tokens only (applied to all, then sliced: the
      // projection is tiny and slicing its output is cheaper than slicing [B, N, D]).
      const patches = tf.reshape(this.finalLayer.apply(tokens), [batch, layout.sequenceLength, -1]);
      const imagePatches = tf.reshape(tf.slice(patches, [0, textLength, 0], [batch, layout.imageTokens, -1]), [batch * layout.imageTokens, -1]) as tf.Tensor2D;
      return unpatchify(imagePatches, { batch, channels: inChannels, height, width, patchSize });
    });
  }

  /**
   * Runs `loss` (which calls `forward`) under a gradient tape and returns its value and the
   * gradient of every trainable variable, aligned with `trainableVariables` (so
   * `namedVariables()[i].name` names `gradients[i]`). The caller disposes both.
   */
  valueAndGradients(loss: () => tf.Scalar): { value: tf.Scalar; gradients: tf.Tensor[] } {
    const variables = this.trainableVariables;
    const { value, grads } = tf.variableGrads(loss, variables);
    return { value, gradients: variables.map((variable) => grads[variable.name]) };
  }

  /** Peak-memory estimate of this model for an input size (see `estimateMemory`). */
  estimateMemory(options: Omit<MemoryEstimateOptions, 'checkpointing'> = {}): MemoryEstimate {
    return estimateMemory(this.config, { ...options, checkpointing: this.gradientCheckpointing });
  }

  /** Every parameter with its PyTorch name and layout, in state-dict order. */
  namedVariables(): NamedVariable[] {
    return this[PARAMETER_SLOTS]().map(({ name, variable, torchShape, transposed }) => ({ name, variable, torchShape, transposed }));
  }

  /** The trainable variables, in state-dict order (stable across runs and models of one config). */
  get trainableVariables(): tf.Variable[] {
    return this[PARAMETER_SLOTS]().map((slot) => slot.variable);
  }

  parameterCount(): number {
    return this[PARAMETER_SLOTS]().reduce((total, slot) => total + slot.variable.size, 0);
  }

  /** Parameters with initialisation facts, in state-dict order (package-internal: the key is not exported). */
  [PARAMETER_SLOTS](): ParameterSlot[] {
    this.assertUsable();
    const owners = [this.xEmbedder, this.textEmbedder, this.timeEmbedderIn, this.timeEmbedderOut, ...this.blocks, this.finalLayer];
    return owners.flatMap((owner) => owner[PARAMETER_SLOTS]());
  }

  /**
   * @deprecated Internal; use `namedVariables()`. Removed in the next minor release.
   */
  slots(): ParameterSlot[] {
    return this[PARAMETER_SLOTS]();
  }

  /** Loads a safetensors checkpoint with PyTorch state-dict names (F32, F16 or BF16). */
  loadWeights(path: string, options: LoadWeightsOptions = {}): Promise<LoadReport> {
    this.assertUsable();
    return loadWeightsInto(this[PARAMETER_SLOTS](), path, options);
  }

  /** Writes the weights with PyTorch names and layouts ([out, in] Linear weights). */
  saveWeights(path: string, options: SaveWeightsOptions = {}): Promise<void> {
    this.assertUsable();
    return saveWeightsFrom(this[PARAMETER_SLOTS](), this.config, path, options);
  }

  /** Writes `config.json` and `model.safetensors` into a folder, loadable with `fromPretrained`. */
  savePretrained(dir: string, options: SaveWeightsOptions = {}): Promise<void> {
    this.assertUsable();
    return savePretrainedModel(this[PARAMETER_SLOTS](), this.config, dir, options);
  }

  /** The weights as PyTorch would hold them: name -> { shape, data } in state-dict order. */
  stateDict(): Promise<Map<string, StateDictTensor>> {
    this.assertUsable();
    return stateDictOf(this[PARAMETER_SLOTS]());
  }

  dispose(): void {
    if (this.disposed) return;
    for (const slot of this[PARAMETER_SLOTS]()) slot.variable.dispose();
    this.disposed = true;
  }

  private assertUsable(): void {
    if (this.disposed) throw new Error('SingleStreamDiTV2: the model has been disposed');
  }

  private checkInputs(x: tf.Tensor, t: tf.Tensor, text: tf.Tensor): { batch: number; height: number; width: number } {
    const { inChannels, textLength, textDim } = this.config;
    if (x.rank !== 4 || x.shape[1] !== inChannels) {
      throw new Error(`forward: x must be [B, ${inChannels}, H, W] latents, found [${x.shape.join(', ')}]`);
    }
    const [batch, , height, width] = x.shape;
    tokenLayout(this.config, height, width);
    if (t.rank !== 1 || t.shape[0] !== batch) {
      throw new Error(`forward: t must be [${batch}] (one time per sample of x), found [${t.shape.join(', ')}]`);
    }
    if (text.rank !== 3 || text.shape[0] !== batch || text.shape[1] !== textLength || text.shape[2] !== textDim) {
      throw new Error(`forward: text must be [${batch}, ${textLength}, ${textDim}] ([B, textLength, textDim]), found [${text.shape.join(', ')}]`);
    }
    for (const [name, tensor] of [['x', x], ['t', t], ['text', text]] as const) {
      if (tensor.dtype !== 'float32') throw new Error(`forward: ${name} must be float32, found ${tensor.dtype}`);
    }
    return { batch, height, width };
  }
}
