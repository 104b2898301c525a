#!/usr/bin/env python3
"""Writes golden encoder outputs from transformers' BertModel for the committed test models.

For every model directory under wasm_tests/fixtures/models (or the ones named with --model),
this loads the directory with BertModel.from_pretrained and the tokenizer from its vocab.txt,
checks that every loaded weight equals the tensor stored in model.safetensors, runs the model in
float64 with eager attention, and writes wasm_tests/fixtures/golden/<model>.json.

With --check it writes nothing: it decodes the existing golden files, runs the models again and
fails if the token ids differ or any output differs by more than float32 rounding.

Usage:
  golden_encoder.py                      # regenerate every golden file
  golden_encoder.py --model tiny-f32     # only this model
  golden_encoder.py --check              # compare existing golden files with a fresh run
"""

import argparse
import base64
import json
import pathlib
import sys

import numpy as np
import tokenizers
import torch
import transformers
from safetensors import safe_open
from transformers import BertModel, BertTokenizer
from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "wasm_tests" / "fixtures"
MODEL_PREFIX = "bert."
# Head tensors that BertForMaskedLM and BertForPreTraining checkpoints store next to the
# encoder. BertModel does not use them.
IGNORED_PREFIXES = ("cls.",)
# Rounding a float64 result to float32 changes it by at most half an ulp (relative 6e-8).
# This bound leaves a margin for that rounding and for nothing else.
CHECK_RELATIVE_TOLERANCE = 1e-6
# Truncated pairs that BertTokenizerLegacy splits differently from BertTokenizer (see encode()).
TOKENIZER_DIFFERENCES = []


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-dir", type=pathlib.Path, default=FIXTURES / "models")
    parser.add_argument("--golden-dir", type=pathlib.Path, default=FIXTURES / "golden")
    parser.add_argument("--texts", type=pathlib.Path, default=FIXTURES / "golden_texts.json")
    parser.add_argument("--model", action="append", help="model directory name; repeat for several (default: all)")
    parser.add_argument("--check", action="store_true", help="compare existing golden files instead of writing them")
    return parser.parse_args(argv)


def reference_label():
    return f"transformers {transformers.__version__} BertModel, float64, eager attention"


def load_tokenizers(model_dir):
    """Returns (reference, cross_check) tokenizers built from the directory's vocab.txt.

    In transformers 5, BertTokenizer is backed by the Rust `tokenizers` library (what
    BertTokenizerFast was in transformers 4) and the pure-Python WordPiece implementation is
    BertTokenizerLegacy. BertTokenizer is the reference; the Python one is a cross-check.
    """
    reference = BertTokenizer.from_pretrained(model_dir)
    cross_check = BertTokenizerLegacy.from_pretrained(model_dir)
    return reference, cross_check


def load_model(model_dir):
    """Loads BertModel in the stored dtype and proves no weight was re-initialised or altered."""
    model, info = BertModel.from_pretrained(
        model_dir, dtype="auto", attn_implementation="eager", output_loading_info=True)
    if info["missing_keys"] or info["mismatched_keys"] or info["error_msgs"]:
        raise RuntimeError(f"{model_dir}: loading reported {info}")

    stored = {}
    with safe_open(model_dir / "model.safetensors", framework="pt") as f:
        for name in f.keys():
            stored[name] = f.get_tensor(name)
    encoder_names = {name.removeprefix(MODEL_PREFIX): name for name in stored
                     if not name.startswith(IGNORED_PREFIXES)}
    unused = set(encoder_names)
    for name, tensor in model.state_dict().items():
        if name not in encoder_names:
            raise RuntimeError(f"{model_dir}: BertModel tensor {name} is not in model.safetensors")
        stored_tensor = stored[encoder_names[name]]
        if tensor.dtype != stored_tensor.dtype or not torch.equal(tensor, stored_tensor):
            raise RuntimeError(f"{model_dir}: loaded {name} differs from the stored tensor")
        unused.discard(name)
    if unused:
        raise RuntimeError(f"{model_dir}: stored encoder tensors not used by BertModel: {sorted(unused)}")

    # float16, bfloat16 and float32 values are all exactly representable in float64.
    model = model.double().eval()
    if model.config._attn_implementation != "eager":
        raise RuntimeError(f"{model_dir}: attention implementation is "
                           f"{model.config._attn_implementation!r}, expected 'eager'")
    return model


def encode(tokenizer_pair, texts, pairs, max_length):
    """Tokenizes a batch the way the golden cases define it.

    Rows are padded on the right to the longest row and truncated to max_length, pairs with the
    default 'longest_first' strategy. Returns the encoding and a per-row flag telling whether
    truncation removed tokens.

    The two tokenizers must agree except on a pair truncated to an odd number of content tokens
    where both segments end up the same length: `tokenizers` gives the extra token to the second
    segment and BertTokenizerLegacy to the first. The golden files follow `tokenizers`.
    """
    reference, cross_check = tokenizer_pair
    kwargs = dict(truncation=True, max_length=max_length, padding="longest",
                  return_token_type_ids=True, return_attention_mask=True)
    encoding = reference(texts, text_pair=pairs, **kwargs)
    other = cross_check(texts, text_pair=pairs, **kwargs)
    full = reference(texts, text_pair=pairs, truncation=False)
    truncated = [len(ids) > max_length for ids in full["input_ids"]]
    for row in range(len(texts)):
        if all(encoding[key][row] == other[key][row] for key in ("input_ids", "token_type_ids", "attention_mask")):
            continue
        if pairs is not None and truncated[row] and encoding["attention_mask"][row] == other["attention_mask"][row]:
            TOKENIZER_DIFFERENCES.append(f"{texts[row][:40]!r}... at max_length {max_length}")
            continue
        raise RuntimeError(f"BertTokenizer and BertTokenizerLegacy disagree on {texts[row]!r} / "
                           f"{None if pairs is None else pairs[row]!r}; decide which one the golden "
                           "files follow before accepting the difference in encode()")
    return encoding, truncated


def pack_float32(array):
    values = np.ascontiguousarray(array, dtype="<f4")
    return {"shape": list(values.shape), "dtype": "float32", "base64": base64.b64encode(values.tobytes()).decode("ascii")}


def unpack_float32(packed):
    if packed["dtype"] != "float32":
        raise ValueError(f"invalid golden tensor dtype {packed['dtype']!r}, expected 'float32'")
    values = np.frombuffer(base64.b64decode(packed["base64"]), dtype="<f4")
    return values.reshape(packed["shape"])


def run_case(model, tokenizer_pair, max_length, name, keys, texts, pairs):
    encoding, truncated = encode(tokenizer_pair, texts, pairs, max_length)
    input_ids = torch.tensor(encoding["input_ids"])
    token_type_ids = torch.tensor(encoding["token_type_ids"])
    attention_mask = torch.tensor(encoding["attention_mask"])
    with torch.no_grad():
        output = model(input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask)
    return {
        "name": name,
        "sources": keys,
        "texts": texts,
        "pairs": pairs,
        "maxLength": max_length,
        "inputIds": encoding["input_ids"],
        "tokenTypeIds": encoding["token_type_ids"],
        "attentionMask": encoding["attention_mask"],
        "truncated": truncated,
        "lastHiddenState": output.last_hidden_state.numpy(),
        "poolerOutput": output.pooler_output.numpy(),
    }


def build_cases(model, tokenizer_pair, max_length, inputs):
    """Returns the golden cases, with outputs still as float64 arrays."""
    texts = inputs["texts"]
    pairs = inputs["pairs"]
    selections = inputs["selections"]

    def text_case(name, keys):
        return run_case(model, tokenizer_pair, max_length, name, keys, [texts[k] for k in keys], None)

    def pair_case(name, keys):
        return run_case(model, tokenizer_pair, max_length, name, keys,
                        [pairs[k][0] for k in keys], [pairs[k][1] for k in keys])

    batch_texts = selections["batchTexts"]
    batch_pairs = selections["batchPairs"]
    cases = [text_case("single-batch1", [selections["singleText"]])]
    cases.append(text_case(f"batch{len(batch_texts)}-padded", batch_texts))
    cases += [text_case(f"batch{len(batch_texts)}-row{i}-alone", [k]) for i, k in enumerate(batch_texts)]
    cases.append(pair_case("pair-batch1", [selections["singlePair"]]))
    cases.append(pair_case(f"pairs{len(batch_pairs)}-padded", batch_pairs))
    cases += [pair_case(f"pairs{len(batch_pairs)}-row{i}-alone", [k]) for i, k in enumerate(batch_pairs)]
    long_cases = [text_case("long-truncated", [selections["longText"]]),
                  pair_case("long-pair-truncated", [selections["longPair"]])]
    for case in long_cases:
        if not all(case["truncated"]):
            # Expected for 512-position shapes such as minilm and base. The committed models
            # have 40 to 64 positions, so there both cases truncate.
            print(f"golden_encoder: note: {case['name']} fits in {max_length} tokens and is not truncated")
    return cases + long_cases


def build_tokenization(tokenizer_pair, max_length, inputs):
    """Returns the token ids of every text and pair alone, for tokenizer-only tests."""
    reference = tokenizer_pair[0]
    entries = []
    items = [(k, v, None) for k, v in inputs["texts"].items()]
    items += [(k, first, second) for k, (first, second) in inputs["pairs"].items()]
    for key, text, pair in items:
        encoding, truncated = encode(tokenizer_pair, [text], None if pair is None else [pair], max_length)
        ids = encoding["input_ids"][0]
        entries.append({
            "source": key,
            "text": text,
            "pair": pair,
            "tokens": reference.convert_ids_to_tokens(ids),
            "inputIds": ids,
            "tokenTypeIds": encoding["token_type_ids"][0],
            "truncated": truncated[0],
        })
    return entries


def generate(model_dir, inputs):
    model = load_model(model_dir)
    tokenizer_pair = load_tokenizers(model_dir)
    max_length = model.config.max_position_embeddings
    cases = build_cases(model, tokenizer_pair, max_length, inputs)
    tokenization = build_tokenization(tokenizer_pair, max_length, inputs)
    return model, tokenizer_pair, cases, tokenization


def write_golden(model_dir, golden_path, inputs):
    model, tokenizer_pair, cases, tokenization = generate(model_dir, inputs)
    reference = tokenizer_pair[0]
    for case in cases:
        case["lastHiddenState"] = pack_float32(case["lastHiddenState"])
        case["poolerOutput"] = pack_float32(case["poolerOutput"])
    golden = {
        "model": model_dir.name,
        "reference": reference_label(),
        "versions": {"transformers": transformers.__version__, "torch": torch.__version__,
                     "tokenizers": tokenizers.__version__},
        "config": {
            "hiddenAct": model.config.hidden_act,
            "hiddenSize": model.config.hidden_size,
            "maxPositionEmbeddings": model.config.max_position_embeddings,
            "storedDtypes": stored_dtypes(model_dir),
        },
        "specialTokenIds": {token: reference.convert_tokens_to_ids(token)
                            for token in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")},
        "cases": cases,
        "tokenization": tokenization,
    }
    golden_path.parent.mkdir(parents=True, exist_ok=True)
    with open(golden_path, "w", encoding="utf-8") as f:
        f.write(format_golden(golden))
    print(f"golden_encoder: wrote {golden_path} ({len(cases)} cases, {golden_path.stat().st_size} bytes)")


def format_golden(golden):
    """Returns the golden JSON text with one line per case and per tokenization entry.

    Indenting every id and every field would spread a file over thousands of lines, so each
    entry stays on one line, which keeps the files small and their diffs readable.
    """
    def dumps(value):
        return json.dumps(value, ensure_ascii=False)

    lines = ["{"]
    for key, value in golden.items():
        if isinstance(value, list):
            lines.append(f"  {dumps(key)}: [")
            lines += [f"    {dumps(item)}," for item in value]
            if value:
                lines[-1] = lines[-1].removesuffix(",")
            lines.append("  ],")
        else:
            lines.append(f"  {dumps(key)}: {dumps(value)},")
    lines[-1] = lines[-1].removesuffix(",")
    lines.append("}")
    return "\n".join(lines) + "\n"


def stored_dtypes(model_dir):
    """Returns the sorted safetensors dtype names in model.safetensors, e.g. ['F16']."""
    with open(model_dir / "model.safetensors", "rb") as f:
        header_size = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(header_size))
    return sorted({entry["dtype"] for name, entry in header.items() if name != "__metadata__"})


def check_golden(model_dir, golden_path, inputs):
    """Returns the differences between golden_path and a fresh run, an empty list when they agree."""
    with open(golden_path, encoding="utf-8") as f:
        golden = json.load(f)
    _, _, cases, tokenization = generate(model_dir, inputs)
    problems = []
    if golden["reference"] != reference_label():
        print(f"golden_encoder: note: {golden_path.name} was made with '{golden['reference']}'")
    if [c["name"] for c in golden["cases"]] != [c["name"] for c in cases]:
        return [f"{golden_path.name}: case names differ"]
    if golden["tokenization"] != tokenization:
        problems.append(f"{golden_path.name}: tokenization entries differ")
    worst = 0.0
    for stored, fresh in zip(golden["cases"], cases):
        for key in ("inputIds", "tokenTypeIds", "attentionMask", "truncated"):
            if stored[key] != fresh[key]:
                problems.append(f"{golden_path.name} {stored['name']}: {key} differs")
        for key in ("lastHiddenState", "poolerOutput"):
            expected = fresh[key]
            actual = unpack_float32(stored[key]).astype(np.float64)
            if actual.shape != expected.shape:
                problems.append(f"{golden_path.name} {stored['name']}: {key} shape {actual.shape} != {expected.shape}")
                continue
            error = np.abs(actual - expected) / np.maximum(np.abs(expected), np.finfo(np.float32).tiny)
            worst = max(worst, float(error.max()))
            if error.max() > CHECK_RELATIVE_TOLERANCE:
                problems.append(f"{golden_path.name} {stored['name']}: {key} max relative error {error.max():.3g}")
    print(f"golden_encoder: checked {golden_path.name}: {len(cases)} cases, "
          f"max relative error {worst:.3g}, {'OK' if not problems else 'FAILED'}")
    return problems


def main(argv):
    args = parse_args(argv)
    torch.set_num_threads(1)
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    with open(args.texts, encoding="utf-8") as f:
        inputs = json.load(f)
    names = args.model or sorted(p.parent.name for p in args.models_dir.glob("*/model.safetensors"))
    if not names:
        sys.exit(f"golden_encoder: no models under {args.models_dir}")
    problems = []
    for name in names:
        model_dir = args.models_dir / name
        golden_path = args.golden_dir / f"{name}.json"
        if args.check:
            problems += check_golden(model_dir, golden_path, inputs)
        else:
            write_golden(model_dir, golden_path, inputs)
    if TOKENIZER_DIFFERENCES:
        print("golden_encoder: note: BertTokenizerLegacy splits these truncated pairs differently:\n  "
              + "\n  ".join(sorted(set(TOKENIZER_DIFFERENCES))))
    if problems:
        sys.exit("golden_encoder: check failed:\n  " + "\n  ".join(problems))


if __name__ == "__main__":
    main(sys.argv[1:])
