"""Tensor names and shapes of the full-size google/t5gemma-2-1b-1b checkpoint (dev-only; no weights).

The hub is out of reach, so the config is written here from SPEC section 7 and the transformers
defaults, the model is built on the `meta` device, and its parameter names are mapped to the names
`save_pretrained` writes (checked against a tiny model that really is saved). Writes
packages/encoders/fixtures/t5gemma/t5gemma-2-1b-1b-layout.json: {config, tensors: [{name, shape}]}.
Run: /opt/refvenv/bin/python tools/reference/t5gemma_layout.py
"""
import json
import pathlib
import re
import tempfile

import torch
from safetensors import safe_open
from transformers import T5Gemma2Config, T5Gemma2ForConditionalGeneration

root = pathlib.Path(__file__).resolve().parents[2]
out = root / "packages" / "encoders" / "fixtures" / "t5gemma" / "t5gemma-2-1b-1b-layout.json"

# Gemma 3 1B text stack (SPEC section 7): 26 layers, every 6th full attention.
text = dict(
    vocab_size=262_144,
    hidden_size=1152,
    intermediate_size=6912,
    num_hidden_layers=26,
    num_attention_heads=4,
    num_key_value_heads=1,
    head_dim=256,
    query_pre_attn_scalar=256,
    sliding_window=512,
    rms_norm_eps=1e-6,
    hidden_activation="gelu_pytorch_tanh",
    max_position_embeddings=32_768,
    rope_parameters={
        "sliding_attention": {"rope_type": "default", "rope_theta": 10_000.0},
        "full_attention": {"rope_type": "default", "rope_theta": 1_000_000.0},
    },
)
# SigLIP so400m at 896 px, as in Gemma 3.
vision = dict(
    model_type="siglip_vision_model", hidden_size=1152, intermediate_size=4304, num_hidden_layers=27,
    num_attention_heads=16, image_size=896, patch_size=14, layer_norm_eps=1e-6, vision_use_head=False,
)
encoder = dict(text_config=text, vision_config=vision, mm_tokens_per_image=256, boi_token_index=255_999,
               eoi_token_index=256_000, image_token_index=256_001)


def saved_name(name: str) -> str:
    """In-memory name -> name in the saved file (save_pretrained undoes the text_model renaming)."""
    return re.sub(r"^model\.encoder\.text_model\.", "model.encoder.", name)


# Check saved_name against what save_pretrained really writes, on a tiny model.
tiny_text = dict(text, vocab_size=64, hidden_size=8, intermediate_size=16, num_hidden_layers=2,
                 num_attention_heads=2, num_key_value_heads=1, head_dim=4, layer_types=None)
tiny_vision = dict(vision, hidden_size=8, intermediate_size=16, num_hidden_layers=1, num_attention_heads=2,
                   image_size=28)
tiny = T5Gemma2ForConditionalGeneration(T5Gemma2Config(
    encoder=dict(encoder, text_config=tiny_text, vision_config=tiny_vision, mm_tokens_per_image=4,
                 boi_token_index=60, eoi_token_index=61, image_token_index=62),
    decoder=dict(tiny_text), image_token_index=62))
with tempfile.TemporaryDirectory() as tmp:
    tiny.save_pretrained(tmp)
    with safe_open(f"{tmp}/model.safetensors", "pt") as f:
        written = set(f.keys())
assert written == {saved_name(n) for n, _ in tiny.named_parameters()}, "saved names differ from the mapping"

config = T5Gemma2Config(encoder=encoder, decoder=dict(text), image_token_index=256_001)
with torch.device("meta"):
    model = T5Gemma2ForConditionalGeneration(config)
tensors = [{"name": saved_name(n), "shape": list(p.shape)} for n, p in model.named_parameters()]
config_dict = config.to_dict()
config_dict.pop("transformers_version", None)
out.write_text(json.dumps({
    "note": "config written from SPEC section 7 and transformers defaults (hub unreachable); names as save_pretrained writes them",
    "config": config_dict,
    "tensors": tensors,
}, indent=0))
print(len(tensors), "tensors;", sum(1 for t in tensors if t["name"].startswith("model.encoder.layers.")), "encoder layer tensors")
print("wrote", out, out.stat().st_size, "bytes")
