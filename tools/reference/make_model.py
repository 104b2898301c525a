#!/usr/bin/env python3
"""Writes a BERT encoder with seeded random weights in the standard Hugging Face layout.

The output directory gets config.json, vocab.txt, tokenizer_config.json and model.safetensors,
which is what adapterkit's loader reads and what transformers' BertModel.from_pretrained accepts.
The weights are random but reproducible from --seed. They are scaled so that every layer norm,
bias and nonlinearity changes the output, because the models test numerics, not language.

Example:
  make_model.py --out wasm_tests/fixtures/models/tiny-f32 --shape tiny --dtype f32 --seed 1
"""

import argparse
import collections
import json
import os
import pathlib
import sys
import unicodedata

import numpy as np
import torch
from safetensors.torch import save_file
from tokenizers import normalizers, pre_tokenizers
from transformers import BertConfig, BertForMaskedLM, BertModel
from transformers.models.bert.modeling_bert import BertPooler

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_TEXTS = REPO_ROOT / "wasm_tests" / "fixtures" / "golden_texts.json"

# name: (layers, hidden, heads, intermediate, max_position_embeddings, type_vocab_size, init std)
SHAPES = {
    "tiny": (2, 32, 4, 64, 40, 2, 0.2),
    "small": (3, 64, 2, 128, 64, 2, 0.2),
    # Sizes that are not multiples of 8 so that SIMD tail handling is exercised.
    "odd": (2, 48, 3, 80, 48, 2, 0.2),
    # The shape of sentence-transformers/all-MiniLM-L6-v2.
    "minilm": (6, 384, 12, 1536, 512, 2, 0.02),
    # The shape of bert-base-uncased.
    "base": (12, 768, 12, 3072, 512, 2, 0.02),
}

DTYPES = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
MAX_VOCAB_SIZE = 1000
# Continuation pieces that let inflected words split into a stem and a multi-character piece,
# so WordPiece's longest-match search has more than single characters to choose from.
SUFFIXES = ["ing", "ed", "es", "s", "ly", "er"]
MIN_STEM_LENGTH = 4


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=pathlib.Path, help="output directory (created if missing)")
    parser.add_argument("--shape", required=True, choices=sorted(SHAPES))
    parser.add_argument("--dtype", required=True, choices=sorted(DTYPES), help="storage dtype of model.safetensors")
    parser.add_argument("--seed", required=True, type=int)
    parser.add_argument("--prefix", default="", help="prefix for every encoder tensor name, e.g. 'bert.'")
    parser.add_argument("--with-mlm-head", action="store_true",
                        help="save BertForMaskedLM: 'bert.'-prefixed encoder plus cls.* head tensors")
    parser.add_argument("--vocab", type=pathlib.Path, help="vocab.txt to use instead of the generated test vocabulary")
    parser.add_argument("--texts", type=pathlib.Path, default=DEFAULT_TEXTS,
                        help="golden_texts.json that the generated vocabulary covers (default: %(default)s)")
    parser.add_argument("--act", default="gelu", choices=["gelu", "gelu_new", "relu"], help="hidden_act")
    parser.add_argument("--init-std", type=float,
                        help="std of the random weights (default: 0.2 for tiny/small/odd, 0.02 for minilm/base)")
    args = parser.parse_args(argv)
    if args.with_mlm_head and args.prefix not in ("", "bert."):
        parser.error("--with-mlm-head saves BertForMaskedLM, whose encoder tensors are always 'bert.'-prefixed")
    if args.init_std is not None and not args.init_std > 0:
        parser.error("--init-std must be positive")
    return args


def collect_strings(texts_path):
    """Returns every string in golden_texts.json's texts and pairs, in file order."""
    with open(texts_path, encoding="utf-8") as f:
        data = json.load(f)
    strings = list(data["texts"].values())
    for first, second in data["pairs"].values():
        strings += [first, second]
    return strings


def build_vocab(strings):
    """Builds the small test vocabulary for the given texts.

    Order: the special tokens (ids 0..4), then every character that BERT's normalizer and
    pre-tokenizer can produce from the texts, each as itself and as '##' + character, then the
    continuation suffixes, then whole words by descending frequency until MAX_VOCAB_SIZE.
    Characters of Unicode category 'So' (emoji and other symbols) are left out so that words
    containing them come out as [UNK]. Words ending in one of SUFFIXES with a stem of at least
    MIN_STEM_LENGTH characters contribute the stem instead, so that e.g. 'leaves' splits into
    'leav ##es'.
    """
    # The same lower-casing, accent stripping and CJK spacing that BertTokenizer applies, so that
    # the vocabulary contains what WordPiece looks up rather than the raw characters.
    normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True,
                                            strip_accents=None, lowercase=True)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()

    characters = []
    word_counts = collections.Counter()
    first_seen = {}
    for text in strings:
        for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text)):
            for ch in word:
                if ch not in characters:
                    characters.append(ch)
            word_counts[word] += 1
            first_seen.setdefault(word, len(first_seen))

    vocab = list(SPECIAL_TOKENS)

    def add(token):
        if token not in vocab and len(vocab) < MAX_VOCAB_SIZE:
            vocab.append(token)

    kept_characters = [ch for ch in characters if unicodedata.category(ch) != "So"]
    for ch in kept_characters:
        add(ch)
    for ch in kept_characters:
        add("##" + ch)
    for suffix in SUFFIXES:
        add("##" + suffix)
    for word in sorted(word_counts, key=lambda w: (-word_counts[w], first_seen[w])):
        if len(word) == 1 or any(unicodedata.category(ch) == "So" for ch in word):
            continue
        for suffix in SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM_LENGTH:
                word = word[: -len(suffix)]
                break
        add(word)
    return vocab


def read_vocab(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def fill_random_weights(model, seed, init_std):
    """Overwrites every parameter with seeded random values.

    Matrices and embeddings get N(0, init_std); linear biases too, so that a dropped bias shows.
    Layer-norm gamma gets 1 + 0.1 N(0, 1) and beta 0.1 N(0, 1), so that a layer norm applied
    without its affine part, or with the two swapped, shows. Values are drawn in float64 by
    NumPy in named_parameters() order, which depends only on the architecture.
    """
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            noise = rng.standard_normal(tuple(param.shape))
            if "LayerNorm" in name and name.endswith(".weight"):
                values = 1.0 + 0.1 * noise
            elif "LayerNorm" in name and name.endswith(".bias"):
                values = 0.1 * noise
            else:
                values = init_std * noise
            param.copy_(torch.from_numpy(values))


def collect_tensors(model, prefix, dtype):
    """Returns the state dict as contiguous tensors of `dtype`, with tied duplicates removed.

    BertForMaskedLM ties cls.predictions.decoder.weight to the word embeddings; like
    save_pretrained, only the first name of each shared tensor is written.
    """
    tensors = {}
    seen_storage = set()
    for name, tensor in model.state_dict().items():
        key = (tensor.untyped_storage().data_ptr(), tensor.storage_offset(), tuple(tensor.shape))
        if key in seen_storage:
            continue
        seen_storage.add(key)
        tensors[prefix + name] = tensor.detach().to(dtype).contiguous().clone()
    return tensors


def main(argv):
    args = parse_args(argv)
    torch.set_num_threads(1)
    layers, hidden, heads, intermediate, max_positions, type_vocab, default_std = SHAPES[args.shape]
    init_std = args.init_std if args.init_std is not None else default_std

    if args.vocab is not None:
        vocab = read_vocab(args.vocab)
    else:
        vocab = build_vocab(collect_strings(args.texts))
    missing = [token for token in SPECIAL_TOKENS if token not in vocab]
    if missing:
        sys.exit(f"make_model: {args.vocab} is missing the special tokens {missing}; add them or omit --vocab")

    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=intermediate,
        hidden_act=args.act,
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
        max_position_embeddings=max_positions,
        type_vocab_size=type_vocab,
        initializer_range=init_std,
        layer_norm_eps=1e-12,
        pad_token_id=vocab.index("[PAD]"),
    )
    if args.with_mlm_head:
        model = BertForMaskedLM(config)
        # BertForMaskedLM builds its encoder without a pooler, but pre-training checkpoints such
        # as bert-base-uncased carry one, and BertModel.from_pretrained would otherwise make up
        # a random pooler for the golden run.
        model.bert.pooler = BertPooler(config)
        prefix = ""  # BertForMaskedLM's own names already start with 'bert.'
        config.architectures = ["BertForMaskedLM"]
    else:
        model = BertModel(config, add_pooling_layer=True)
        prefix = args.prefix
        config.architectures = ["BertModel"]
    fill_random_weights(model, args.seed, init_std)
    dtype = DTYPES[args.dtype]
    config.dtype = str(dtype).removeprefix("torch.")

    args.out.mkdir(parents=True, exist_ok=True)
    weights_path = args.out / "model.safetensors"
    save_file(collect_tensors(model, prefix, dtype), str(weights_path), metadata={"format": "pt"})
    # safetensors creates the file as 0600; give it the same mode as the other files.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(weights_path, 0o666 & ~umask)
    config.save_pretrained(args.out)
    with open(args.out / "vocab.txt", "w", encoding="utf-8") as f:
        f.write("".join(token + "\n" for token in vocab))
    tokenizer_config = {
        "tokenizer_class": "BertTokenizer",
        "do_lower_case": True,
        "strip_accents": None,
        "tokenize_chinese_chars": True,
        "model_max_length": max_positions,
        "unk_token": "[UNK]",
        "sep_token": "[SEP]",
        "pad_token": "[PAD]",
        "cls_token": "[CLS]",
        "mask_token": "[MASK]",
    }
    with open(args.out / "tokenizer_config.json", "w", encoding="utf-8") as f:
        json.dump(tokenizer_config, f, indent=2)
        f.write("\n")

    size = weights_path.stat().st_size
    print(f"make_model: wrote {args.out} ({args.shape}, {args.dtype}, seed {args.seed}, "
          f"vocab {len(vocab)}, act {args.act}, init std {init_std}, model.safetensors {size} bytes)")


if __name__ == "__main__":
    main(sys.argv[1:])
