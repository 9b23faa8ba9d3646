"""Tiny random T5Gemma 2 checkpoints and their encoder outputs, from the real transformers (dev-only).

Writes packages/encoders/fixtures/t5gemma/:
  tiny/                    config.json + model.safetensors as `save_pretrained` writes them,
                           plus a toy Gemma-style tokenizer (tokenizer.json, tokenizer_config.json):
                           text weights under `model.encoder.layers.*` / `model.encoder.embed_tokens.*`,
                           vision tower and decoder included, tied decoder embedding left out
  tiny-text-model-sharded/ the same weights under the in-memory module names of transformers 5
                           (`model.encoder.text_model.*`), in 2 shards with model.safetensors.index.json
  parity.safetensors       input ids, attention masks and encoder last hidden states; case2 comes
                           from prompts (prompts.json) through AutoTokenizer, max_length 12

The config exercises what the 1b-1b model has, at toy size: grouped KV heads, head_dim * heads
!= hidden, query_pre_attn_scalar != head_dim, sliding and full layers with their own RoPE theta
(linear scaling on full layers), a sequence longer than the sliding window, right padding in a
batch of 2, and the end-of-image token whose embedding is replaced by `eoi_embedding`.
Run: /opt/refvenv/bin/python tools/reference/t5gemma_fixtures.py
"""
import json
import pathlib
import shutil

import torch
from safetensors.torch import load_file, save_file
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
from transformers import AutoTokenizer, T5Gemma2Config, T5Gemma2ForConditionalGeneration

root = pathlib.Path(__file__).resolve().parents[2]
out = root / "packages" / "encoders" / "fixtures" / "t5gemma"
out.mkdir(parents=True, exist_ok=True)

PROMPTS = [
    "A yellow rose, café 🌸",
    "A macro shot of a yellow dandelion flower head with fine petals, natural daylight.",
    "petals",
]
TOKENIZER_CONFIG = {
    "tokenizer_class": "GemmaTokenizer", "bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>",
    "unk_token": "<unk>", "mask_token": "<mask>", "padding_side": "right",
}


def toy_tokenizer() -> str:
    """A Gemma-shaped tokenizer.json (Replace normalizer, BPE with byte fallback, <bos> template) with a tiny vocabulary."""
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizers.Replace(" ", "\u2581")
    tok.pre_tokenizer = pre_tokenizers.Split(" ", "merged_with_previous")
    tok.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse()])
    captions = [
        "A macro shot of a yellow dandelion flower head with fine petals, natural daylight.",
        "A close-up photo of a pink rose with dew drops on its velvety petals, soft morning light.",
    ]
    tok.train_from_iterator(captions, trainers.BpeTrainer(
        vocab_size=120, special_tokens=["<pad>", "<eos>", "<bos>", "<unk>", "<mask>"], show_progress=False))
    spec = json.loads(tok.to_str())
    vocab = spec["model"]["vocab"]
    base = len(vocab)
    vocab.update({f"<0x{b:02X}>": base + b for b in range(256)})
    single = [{"SpecialToken": {"id": "<bos>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}]
    spec["post_processor"] = {
        "type": "TemplateProcessing", "single": single,
        "pair": single + [{"SpecialToken": {"id": "<bos>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {"<bos>": {"id": "<bos>", "ids": [2], "tokens": ["<bos>"]}},
    }
    return json.dumps(spec, ensure_ascii=False)


TOKENIZER_JSON = toy_tokenizer()
VOCAB = len(json.loads(TOKENIZER_JSON)["model"]["vocab"])
EOI = 250
text = dict(
    vocab_size=VOCAB,
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=3,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=16,
    query_pre_attn_scalar=20,
    sliding_window=6,
    layer_types=["sliding_attention", "full_attention", "sliding_attention"],
    rope_parameters={
        "sliding_attention": {"rope_type": "default", "rope_theta": 100.0},
        "full_attention": {"rope_type": "linear", "factor": 2.0, "rope_theta": 1000.0},
    },
    max_position_embeddings=64,
)
vision = dict(
    model_type="siglip_vision_model", hidden_size=16, intermediate_size=32, num_hidden_layers=1,
    num_attention_heads=2, image_size=28, patch_size=14,
)
encoder = dict(text_config=text, vision_config=vision, mm_tokens_per_image=4, boi_token_index=249,
               eoi_token_index=EOI, image_token_index=251)
decoder = dict(text, num_hidden_layers=1, layer_types=["sliding_attention"])
config = T5Gemma2Config(encoder=encoder, decoder=decoder, image_token_index=251)
config._attn_implementation = "sdpa"  # the default; fully masked query rows give zeros

torch.manual_seed(0)
model = T5Gemma2ForConditionalGeneration(config).eval()
with torch.no_grad():
    for name, p in model.named_parameters():
        p.normal_(0.0, 0.3)

# Case 0: batch of 2, 16 tokens (sliding window 6), row 1 right-padded after 10 tokens;
# row 0 holds the end-of-image token. Case 1: one row of 7 tokens, no padding.
g = torch.Generator().manual_seed(1)
ids0 = torch.randint(5, 240, (2, 16), generator=g)
ids0[:, 0] = 2
ids0[0, 5] = EOI
mask0 = torch.ones(2, 16, dtype=torch.long)
mask0[1, 10:] = 0
ids0[1, 10:] = 0
ids1 = torch.randint(5, 240, (1, 7), generator=g)
ids1[0, 0] = 2
mask1 = torch.ones(1, 7, dtype=torch.long)

def run(m, ids, mask):
    with torch.no_grad():
        return m.get_encoder()(input_ids=ids, attention_mask=mask).last_hidden_state

tiny = out / "tiny"
shutil.rmtree(tiny, ignore_errors=True)
tiny.mkdir()
(tiny / "tokenizer.json").write_text(TOKENIZER_JSON)
(tiny / "tokenizer_config.json").write_text(json.dumps(TOKENIZER_CONFIG, indent=2))
encoded = AutoTokenizer.from_pretrained(tiny)(PROMPTS, padding="max_length", max_length=12, truncation=True, return_tensors="pt")
ids2, mask2 = encoded["input_ids"], encoded["attention_mask"]
(out / "prompts.json").write_text(json.dumps({"prompts": PROMPTS, "max_length": 12, "case": 2}, ensure_ascii=False, indent=1))
inputs = [(ids0, mask0), (ids1, mask1), (ids2, mask2)]

expected = {}
for case, (ids, mask) in enumerate(inputs):
    expected[f"case{case}.input_ids"] = ids.to(torch.int64)
    expected[f"case{case}.attention_mask"] = mask.to(torch.int64)
    expected[f"case{case}.last_hidden_state"] = run(model, ids, mask).float().contiguous()

model.save_pretrained(tiny, safe_serialization=True)
(tiny / "generation_config.json").unlink(missing_ok=True)

# The other layout: transformers 5 names the text weights `model.encoder.text_model.*` in memory
# and maps the saved names to them when loading; some exported checkpoints carry these names.
legacy = out / "tiny-text-model-sharded"
shutil.rmtree(legacy, ignore_errors=True)
legacy.mkdir()
state = load_file(str(tiny / "model.safetensors"))
assert any(k.startswith("model.encoder.layers.") for k in state), "save_pretrained layout changed"
text_parts = ("model.encoder.layers.", "model.encoder.embed_tokens.", "model.encoder.norm.")
renamed = {
    (k.replace("model.encoder.", "model.encoder.text_model.", 1) if k.startswith(text_parts) else k): v
    for k, v in state.items()
}
names = sorted(renamed)
shards = [names[: len(names) // 2], names[len(names) // 2 :]]
weight_map = {}
for i, part in enumerate(shards):
    file = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
    save_file({k: renamed[k].contiguous() for k in part}, str(legacy / file), metadata={"format": "pt"})
    weight_map.update({k: file for k in part})
total = sum(v.numel() * v.element_size() for v in renamed.values())
(legacy / "model.safetensors.index.json").write_text(
    json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}, indent=2))
for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
    shutil.copy(tiny / name, legacy / name)

# Both folders must reproduce the outputs when transformers itself loads them.
for folder in (tiny, legacy):
    loaded = T5Gemma2ForConditionalGeneration.from_pretrained(folder, attn_implementation="sdpa").eval()
    for case, (ids, mask) in enumerate(inputs):
        err = (run(loaded, ids, mask) - expected[f"case{case}.last_hidden_state"]).abs().max().item()
        assert err == 0.0, (folder.name, case, err)

save_file(expected, str(out / "parity.safetensors"), metadata={"format": "pt", "note": "dit t5gemma2 fixture"})
print("keys in tiny:", len(state), "| embedding keys:", [k for k in state if "embed" in k])
print("wrote", out)
