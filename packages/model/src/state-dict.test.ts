import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configFromJson } from './config.js';
import { SingleStreamDiTV2 } from './model.js';
import { presets } from './presets.js';
import { countParameters, stateDictShapes } from './state-dict.js';
import { fixturePath } from './internals/test-helpers.js';

// Written by tools/reference/model_fixtures.py from the PyTorch reference module.
const torchListing = JSON.parse(readFileSync(fixturePath('torch-state-dict.json'), 'utf8')) as Record<
  string,
  { config: Record<string, number>; parameter_count: number; state_dict: [string, number[]][] }
>;

describe('state dict', () => {
  it('matches PyTorch names, order and [out, in] shapes for the seed and the parity configs', () => {
    for (const listing of Object.values(torchListing)) {
      const config = configFromJson(listing.config);
      expect(stateDictShapes(config).map((e) => [e.name, e.shape])).toEqual(listing.state_dict);
      expect(countParameters(config)).toBe(listing.parameter_count);
    }
  });

  it('counts 229,203,984 parameters at the original preset (SPEC section 2 says "about 216M")', () => {
    expect(countParameters(presets.original)).toBe(229_203_984);
    expect(torchListing.seed.parameter_count).toBe(229_203_984);
  });

  it('gives the presets their sizes', () => {
    expect(countParameters(presets.tiny)).toBe(175_248);
    expect(countParameters(presets.small)).toBe(5_169_168);
  });

  it('builds a model whose variables are exactly the state dict, in order', () => {
    const model = new SingleStreamDiTV2({ ...presets.tiny, initialize: false });
    const named = model.namedVariables();
    expect(named.map((v) => [v.name, v.torchShape])).toEqual(stateDictShapes(presets.tiny).map((e) => [e.name, e.shape]));
    for (const { variable, torchShape, transposed } of named) {
      expect(variable.shape).toEqual(transposed ? [...torchShape].reverse() : torchShape);
      expect(transposed).toBe(torchShape.length === 2);
    }
    expect(model.trainableVariables).toEqual(named.map((v) => v.variable));
    expect(new Set(model.trainableVariables.map((v) => v.name)).size).toBe(named.length);
    expect(model.parameterCount()).toBe(countParameters(presets.tiny));
    model.dispose();
  });
});
