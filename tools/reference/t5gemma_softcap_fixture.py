"""What transformers does with `attn_logit_softcapping` in a T5Gemma 2 encoder (dev-only; CI never runs it).

T5Gemma2SelfAttention reads config.attn_logit_softcapping but never passes it to the attention
function (transformers/models/t5gemma2/modeling_t5gemma2.py, `T5Gemma2SelfAttention.forward`
calls the attention interface without `softcap`), so the encoder's output does not change when
it is set. This script loads the committed tiny checkpoint (packages/encoders/fixtures/t5gemma/tiny)
with the value set and unset, runs the encoder on the parity inputs and checks the outputs are
identical (and, with sdpa, those of parity.safetensors); it records the result in fixtures/t5gemma/softcap.json, which
packages/encoders/src/t5gemma/encoder.test.ts reads to run @dit's encoder the same way.
Run: /work/venv/bin/python tools/reference/t5gemma_softcap_fixture.py
"""
import json
import pathlib

import torch
import transformers
from safetensors.torch import load_file
from transformers import T5Gemma2Config, T5Gemma2ForConditionalGeneration

root = pathlib.Path(__file__).resolve().parents[2]
fixtures = root / "packages" / "encoders" / "fixtures" / "t5gemma"
SOFTCAP = 0.5  # small: applied, it would squash every score into (-0.5, 0.5)

parity = load_file(str(fixtures / "parity.safetensors"))


def encoder_outputs(softcap, implementation):
    config = T5Gemma2Config.from_pretrained(fixtures / "tiny")
    config.encoder.text_config.attn_logit_softcapping = softcap
    model = T5Gemma2ForConditionalGeneration.from_pretrained(fixtures / "tiny", config=config, attn_implementation=implementation).eval()
    softcaps = {m.attn_logit_softcapping for m in model.get_encoder().modules() if type(m).__name__ == "T5Gemma2SelfAttention"}
    assert softcaps == {softcap}, f"the encoder's attention modules should have read {softcap}, found {softcaps}"
    outputs = []
    for case in range(3):
        with torch.no_grad():
            outputs.append(model.get_encoder()(input_ids=parity[f"case{case}.input_ids"], attention_mask=parity[f"case{case}.attention_mask"]).last_hidden_state)
    return outputs


# Eager attention differs from sdpa (the fixture's) only on fully padded query rows; compare each with itself.
effect = 0.0
for implementation in ("eager", "sdpa"):
    capped, plain = encoder_outputs(SOFTCAP, implementation), encoder_outputs(None, implementation)
    effect = max(effect, max((a - b).abs().max().item() for a, b in zip(capped, plain)))
worst = max((out - parity[f"case{case}.last_hidden_state"]).abs().max().item() for case, out in enumerate(encoder_outputs(SOFTCAP, "sdpa")))
print(f"transformers {transformers.__version__}: attn_logit_softcapping={SOFTCAP} changes the encoder output by {effect:.3e}; sdpa vs parity.safetensors {worst:.3e}")
assert effect == 0.0 and worst < 1e-5, "transformers applied the soft cap: follow it"
(fixtures / "softcap.json").write_text(json.dumps({
    "attn_logit_softcapping": SOFTCAP,
    "transformers": transformers.__version__,
    "max_abs_diff_vs_parity": worst,
    "max_abs_effect": effect,
    "note": "T5Gemma2SelfAttention does not pass softcap to its attention function; the output is unchanged (and within 1.1e-6 of parity.safetensors)",
}, indent=1) + "\n")
print("wrote", fixtures / "softcap.json")
