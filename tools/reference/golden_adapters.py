#!/usr/bin/env python3
"""Writes AdapterHub adapter fixtures and their golden classification logits.

For every case in CASES this loads a committed test model with AdapterHub's BertAdapterModel,
adds a Houlsby adapter (DoubleSeqBnConfig) and an AdapterHub classification head, gives every
adapter and head parameter seeded random values, and saves them with
`save_adapter(dir, name, with_head=True, use_safetensors=True)` under
wasm_tests/fixtures/adapterhub/<case>/. It then runs the model in float64 and writes the head's
logits for a padded batch of texts and a padded batch of pairs to golden.json in that folder.

Every run also verifies the result in two independent ways:
  1. it loads each saved folder with AdapterHub's load_adapter into a fresh model and requires
     the same logits;
  2. it recomputes the logits with a NumPy float64 BERT written here from scratch, which reads
     only the safetensors files, and requires agreement to 1e-10.

With --check it writes nothing: it rebuilds every case in memory and compares the tensors,
configs and logits with the committed files, then runs both verifications on them.

Run it with the venv that has `adapters` installed:
  /work/venv/ah/bin/python tools/reference/golden_adapters.py
  /work/venv/ah/bin/python tools/reference/golden_adapters.py --case tiny-houlsby-m8
  /work/venv/ah/bin/python tools/reference/golden_adapters.py --check
"""

import argparse
import dataclasses
import json
import logging
import os
import pathlib
import shutil
import sys
import tempfile

import adapters
import numpy as np
import safetensors
import scipy.special
import torch
import transformers
from adapters import BertAdapterModel, DoubleSeqBnConfig
from safetensors.numpy import load_file as load_numpy_tensors
from safetensors.torch import load_file as load_torch_tensors
from safetensors.torch import save_file as save_torch_tensors
from transformers import BertConfig, BertTokenizerFast

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
# Paths are kept relative to REPO_ROOT (the script changes into it) because AdapterHub writes the
# path given to from_pretrained into adapter_config.json and head_config.json as "model_name".
MODELS_DIR = pathlib.Path("wasm_tests/fixtures/models")
OUTPUT_DIR = pathlib.Path("wasm_tests/fixtures/adapterhub")
TEXTS_PATH = pathlib.Path("wasm_tests/fixtures/golden_texts.json")
ENCODER_GOLDEN_DIR = pathlib.Path("wasm_tests/fixtures/golden")

# BertAdapterModel's base_model_prefix. Keys in the saved adapter files start with it.
MODEL_PREFIX = "bert."
# Checkpoint tensors that BertAdapterModel does not use (small-f32 stores an MLM head).
IGNORED_PREFIXES = ("cls.",)
PROMPT_TUNING_EMBEDDING = "prompt_tuning.base_model_embeddings.weight"

WEIGHT_STD = 0.3
BIAS_STD = 0.1
LAYER_NORM_WEIGHT_STD = 0.2
LAYER_NORM_BIAS_STD = 0.2
LAYER_NORMS_FILE = "layer_norms.safetensors"
GOLDEN_FILE = "golden.json"

# Keys of golden_texts.json. "long" and "long-pair" are longer than every test model's max
# positions, so both batches contain a truncated row next to padded ones.
BATCH_TEXTS = ["greeting", "accents", "whitespace-cjk-emoji", "long"]
BATCH_PAIRS = ["lighthouse-height", "long-pair"]

# Reloading the saved folder repeats the same float64 operations, so the logits should match
# exactly. The bound leaves room only for rounding noise.
RELOAD_TOLERANCE = 1e-12
# The NumPy model sums in another order than torch, which changes float64 results by about 1e-14.
NUMPY_TOLERANCE = 1e-10
# A deliberate mistake in the NumPy model must move some logit by at least this much, far above
# float32 rounding, so that a float32 implementation tested against these logits catches it.
SENSITIVITY_THRESHOLD = 1e-2
# gelu (erf) and gelu_new (tanh approximation) differ by at most 4.8e-4, so swapping them
# can move the logits by less than SENSITIVITY_THRESHOLD. That effect is reported, not required.
NEAR_IDENTICAL_ACTIVATIONS = {"gelu": "gelu_new", "gelu_new": "gelu"}


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    model: str
    size: int
    non_linearity: str
    adapter_layers: tuple
    head_layers: int
    # AdapterHub uses the activation only between head layers, so a 1-layer head ignores it.
    head_activation: str
    use_pooler: bool
    labels: tuple
    seed: int
    random_layer_norms: bool = False

    @property
    def adapter_name(self):
        return self.name.replace("-", "_")


CASES = [
    Case("tiny-houlsby-m8", "tiny-f32", 8, "swish", (0, 1), 2, "tanh", False, ("negative", "positive"), seed=11),
    Case("tiny-top1-m4-relu", "tiny-f32", 4, "relu", (1,), 1, "tanh", False, ("a", "b", "c"), seed=12),
    Case("small-m16-gelu-pooler", "small-f32", 16, "gelu", (0, 1, 2), 2, "relu", True, ("w", "x", "y", "z"), seed=13),
    Case("odd-m6-tanh", "odd-f32", 6, "tanh", (0,), 1, "tanh", False, ("no", "yes"), seed=14),
    # Same seed as tiny-houlsby-m8, so its adapter and head tensors hold the same values as that
    # case (under another adapter name) and only the layer norms differ.
    Case("tiny-houlsby-m8-ln", "tiny-f32", 8, "swish", (0, 1), 2, "tanh", False, ("negative", "positive"),
         seed=11, random_layer_norms=True),
]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", action="append", choices=[c.name for c in CASES],
                        help="case to generate; repeat for several (default: all)")
    parser.add_argument("--check", action="store_true",
                        help="compare the committed folders with a fresh build instead of writing them")
    return parser.parse_args(argv)


def reference_label():
    return f"adapters {adapters.__version__} + transformers {transformers.__version__}, float64"


# ---------------------------------------------------------------------------------------------
# Base model

def load_base_model(model_name):
    """Loads BertAdapterModel in float32 and proves every base weight comes from model.safetensors."""
    model_dir = MODELS_DIR / model_name
    config = BertConfig.from_pretrained(model_dir)
    # AdapterHub turns a checkpoint's static head (BertForMaskedLM for small-f32) into a flex head
    # named "default" when config.architectures names one. The cases need only the encoder.
    config.architectures = None
    model, info = BertAdapterModel.from_pretrained(
        str(model_dir), config=config, attn_implementation="eager", output_loading_info=True)
    unexpected = [k for k in info["unexpected_keys"] if not k.startswith(IGNORED_PREFIXES)]
    if info["missing_keys"] or info["mismatched_keys"] or info["error_msgs"] or unexpected:
        raise RuntimeError(f"{model_dir}: loading reported {info}")
    if model.dtype != torch.float32:
        raise RuntimeError(f"{model_dir}: loaded as {model.dtype}, expected torch.float32")

    stored = load_torch_tensors(model_dir / "model.safetensors")
    stored = {name.removeprefix(MODEL_PREFIX): tensor for name, tensor in stored.items()
              if not name.startswith(IGNORED_PREFIXES)}
    unused = set(stored)
    state = model.bert.state_dict()
    # `adapters` adds a prompt-tuning module whose embedding is the word embedding itself.
    shared = state.pop(PROMPT_TUNING_EMBEDDING)
    if shared.data_ptr() != state["embeddings.word_embeddings.weight"].data_ptr():
        raise RuntimeError(f"{model_dir}: {PROMPT_TUNING_EMBEDDING} is not the word embedding")
    for name, tensor in state.items():
        if name not in stored:
            raise RuntimeError(f"{model_dir}: BertModel tensor {name} is not in model.safetensors")
        if tensor.dtype != stored[name].dtype or not torch.equal(tensor, stored[name]):
            raise RuntimeError(f"{model_dir}: loaded {name} differs from the stored tensor")
        unused.discard(name)
    if unused:
        raise RuntimeError(f"{model_dir}: stored tensors not used by BertAdapterModel: {sorted(unused)}")
    if len(model.heads) != 0:
        raise RuntimeError(f"{model_dir}: unexpected prediction heads {list(model.heads)}")
    return model


def layer_norm_names(num_layers):
    """Returns the post-attention and post-feed-forward LayerNorm tensor names, without prefix."""
    names = []
    for i in range(num_layers):
        for block in ("attention.output", "output"):
            for part in ("weight", "bias"):
                names.append(f"encoder.layer.{i}.{block}.LayerNorm.{part}")
    return names


# ---------------------------------------------------------------------------------------------
# Reference model

def adapter_config(case, hidden_size):
    if hidden_size % case.size:
        raise ValueError(f"{case.name}: hidden size {hidden_size} is not a multiple of adapter size {case.size}")
    num_layers = BertConfig.from_pretrained(MODELS_DIR / case.model).num_hidden_layers
    leave_out = [i for i in range(num_layers) if i not in case.adapter_layers]
    # AdapterHub sizes the bottleneck as int(hidden_size // reduction_factor).
    return DoubleSeqBnConfig(reduction_factor=hidden_size / case.size, non_linearity=case.non_linearity,
                             leave_out=leave_out)


def is_trained_parameter(name, adapter_name):
    return f".adapters.{adapter_name}." in name or name.startswith(f"heads.{adapter_name}.")


def randomize_parameters(model, case):
    """Draws every adapter and head parameter from a normal distribution with mean 0.

    The standard deviation is WEIGHT_STD for weights and BIAS_STD for biases. Values are drawn
    in float64 from a seeded generator, in sorted name order, and rounded to float32, so the
    saved float32 tensors and the float64 run contain the same numbers. Returns the sorted
    parameter names.
    """
    generator = torch.Generator().manual_seed(case.seed)
    parameters = dict(model.named_parameters())
    names = sorted(n for n in parameters if is_trained_parameter(n, case.adapter_name))
    with torch.no_grad():
        for name in names:
            parameter = parameters[name]
            std = BIAS_STD if name.endswith(".bias") else WEIGHT_STD
            values = torch.randn(parameter.shape, generator=generator, dtype=torch.float64) * std
            parameter.copy_(values.to(parameter.dtype))
    return names


def random_layer_norms(model, case):
    """Returns seeded per-task LayerNorm tensors (float32): weight 1 + 0.2 N(0, 1), bias 0.2 N(0, 1)."""
    generator = torch.Generator().manual_seed(case.seed + 1000)
    tensors = {}
    for name in layer_norm_names(model.config.num_hidden_layers):
        shape = (model.config.hidden_size,)
        noise = torch.randn(shape, generator=generator, dtype=torch.float64)
        if name.endswith(".weight"):
            values = 1.0 + LAYER_NORM_WEIGHT_STD * noise
        else:
            values = LAYER_NORM_BIAS_STD * noise
        tensors[name] = values.to(torch.float32).contiguous()
    return tensors


def apply_layer_norms(model, tensors):
    parameters = dict(model.bert.named_parameters())
    with torch.no_grad():
        for name, values in tensors.items():
            parameters[name].copy_(values)


def check_adapter_shapes(model, case):
    """Checks that adapters sit exactly in case.adapter_layers with down-projection [size, hidden]."""
    hidden = model.config.hidden_size
    for i, layer in enumerate(model.bert.encoder.layer):
        for location, module in (("attention", layer.attention.output), ("output", layer.output)):
            present = case.adapter_name in module.adapters
            if present != (i in case.adapter_layers):
                raise RuntimeError(f"{case.name}: layer {i} {location} adapter present={present}, "
                                   f"expected layers {case.adapter_layers}")
            if present:
                adapter = module.adapters[case.adapter_name]
                down = adapter.adapter_down[0].weight.shape
                up = adapter.adapter_up.weight.shape
                if tuple(down) != (case.size, hidden) or tuple(up) != (hidden, case.size):
                    raise RuntimeError(f"{case.name}: layer {i} {location} adapter shapes {down}, {up}")


def build_reference(case):
    """Returns (model in float32 with random adapter and head, trained names, layer norms or None)."""
    model = load_base_model(case.model)
    config = adapter_config(case, model.config.hidden_size)
    model.add_adapter(case.adapter_name, config=config)
    model.add_classification_head(
        case.adapter_name, num_labels=len(case.labels), layers=case.head_layers,
        activation_function=case.head_activation, use_pooler=case.use_pooler,
        id2label=dict(enumerate(case.labels)))
    model.set_active_adapters(case.adapter_name)
    model.active_head = case.adapter_name
    check_adapter_shapes(model, case)
    names = randomize_parameters(model, case)
    layer_norms = None
    if case.random_layer_norms:
        layer_norms = random_layer_norms(model, case)
        apply_layer_norms(model, layer_norms)
    return model.eval(), names, layer_norms


def save_case(model, case, names, layer_norms, out_dir):
    """Writes what save_adapter writes, plus layer_norms.safetensors for per-task layer norms."""
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_adapter(str(out_dir), case.adapter_name, with_head=True, use_safetensors=True)
    if layer_norms is not None:
        save_torch_tensors(layer_norms, str(out_dir / LAYER_NORMS_FILE), metadata={"format": "pt"})

    saved = saved_tensor_keys(out_dir)
    saved_trained = sorted(k for f, keys in saved.items() if f != LAYER_NORMS_FILE for k in keys)
    if saved_trained != names:
        raise RuntimeError(f"{case.name}: save_adapter wrote {saved_trained}, but the randomized "
                           f"parameters are {names}")


def saved_tensor_keys(folder):
    keys = {}
    for path in sorted(folder.glob("*.safetensors")):
        with safetensors.safe_open(str(path), framework="np") as f:
            keys[path.name] = sorted(f.keys())
    return keys


def saved_files(folder):
    return sorted(p.name for p in folder.iterdir() if p.name != GOLDEN_FILE)


# ---------------------------------------------------------------------------------------------
# Inputs

def load_tokenizer(model_name):
    # transformers 4's BertTokenizerFast is the `tokenizers`-backed class that transformers 5
    # calls BertTokenizer, which made the committed encoder goldens (check_token_ids compares).
    return BertTokenizerFast.from_pretrained(MODELS_DIR / model_name)


def encode(tokenizer, texts, pairs, max_length):
    """Tokenizes a batch, padded on the right to the longest row and truncated to max_length."""
    return tokenizer(texts, text_pair=pairs, truncation=True, max_length=max_length, padding="longest",
                     return_token_type_ids=True, return_attention_mask=True)


def check_token_ids(tokenizer, model_name, max_length, inputs):
    """Compares this tokenizer's ids for every case row with the committed encoder golden file.

    The JavaScript tokenizer is tested against that file, so agreeing with it means the adapter
    fixtures test adapters and not a tokenizer difference.
    """
    with open(ENCODER_GOLDEN_DIR / f"{model_name}.json", encoding="utf-8") as f:
        entries = {e["source"]: e for e in json.load(f)["tokenization"]}
    rows = [(k, inputs["texts"][k], None) for k in BATCH_TEXTS]
    rows += [(k, *inputs["pairs"][k]) for k in BATCH_PAIRS]
    for key, text, pair in rows:
        encoding = tokenizer(text, text_pair=pair, truncation=True, max_length=max_length)
        expected = entries[key]
        if encoding["input_ids"] != expected["inputIds"] or encoding["token_type_ids"] != expected["tokenTypeIds"]:
            raise RuntimeError(f"{model_name}: token ids of {key!r} differ from {ENCODER_GOLDEN_DIR}/{model_name}.json; "
                               "regenerate the encoder goldens or fix the tokenizer before writing adapter fixtures")


def build_inputs(case, max_length, inputs):
    tokenizer = load_tokenizer(case.model)
    check_token_ids(tokenizer, case.model, max_length, inputs)
    batches = [
        ("batch4", BATCH_TEXTS, [inputs["texts"][k] for k in BATCH_TEXTS], None),
        ("pairs2", BATCH_PAIRS, [inputs["pairs"][k][0] for k in BATCH_PAIRS],
         [inputs["pairs"][k][1] for k in BATCH_PAIRS]),
    ]
    result = []
    for name, sources, texts, pairs in batches:
        encoding = encode(tokenizer, texts, pairs, max_length)
        result.append({
            "name": name,
            "sources": sources,
            "texts": texts,
            "pairs": pairs,
            "maxLength": max_length,
            "inputIds": encoding["input_ids"],
            "tokenTypeIds": encoding["token_type_ids"],
            "attentionMask": encoding["attention_mask"],
        })
    return result


# ---------------------------------------------------------------------------------------------
# Logits

def torch_logits(model, batch):
    """Returns the active head's logits as a float64 array. The model must already be float64."""
    with torch.no_grad():
        output = model(input_ids=torch.tensor(batch["inputIds"]),
                       token_type_ids=torch.tensor(batch["tokenTypeIds"]),
                       attention_mask=torch.tensor(batch["attentionMask"]))
    if output.logits.dtype != torch.float64:
        raise RuntimeError(f"logits are {output.logits.dtype}, expected torch.float64")
    return output.logits.numpy()


def reload_logits(case, folder, batches):
    """Loads the saved folder into a fresh model with AdapterHub's load_adapter and runs it."""
    model = load_base_model(case.model)
    name = model.load_adapter(str(folder), with_head=True, set_active=True, use_safetensors=True)
    if name != case.adapter_name:
        raise RuntimeError(f"{folder}: load_adapter returned name {name!r}, expected {case.adapter_name!r}")
    if case.random_layer_norms:
        apply_layer_norms(model, load_torch_tensors(folder / LAYER_NORMS_FILE))
    model = model.double().eval()
    return [torch_logits(model, batch) for batch in batches]


# ---------------------------------------------------------------------------------------------
# Independent NumPy float64 implementation

def gelu_erf(x):
    return 0.5 * x * (1.0 + scipy.special.erf(x / np.sqrt(2.0)))


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))


ACTIVATIONS = {
    "gelu": gelu_erf,
    "gelu_new": gelu_tanh,
    "relu": lambda x: np.maximum(x, 0.0),
    "tanh": np.tanh,
    "swish": lambda x: x / (1.0 + np.exp(-x)),
}


def numpy_tensors(path, strip_prefix=""):
    return {name.removeprefix(strip_prefix): values.astype(np.float64)
            for name, values in load_numpy_tensors(str(path)).items()}


def linear(x, tensors, name):
    # Linear weights are stored as [out, in], as in torch.nn.Linear.
    return x @ tensors[f"{name}.weight"].T + tensors[f"{name}.bias"]


def layer_norm(x, tensors, name, eps):
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + eps) * tensors[f"{name}.weight"] + tensors[f"{name}.bias"]


def self_attention(x, mask, tensors, prefix, num_heads):
    batch, length, hidden = x.shape
    head_size = hidden // num_heads

    def split_heads(t):
        # [batch, length, hidden] -> [batch, heads, length, head_size]
        return t.reshape(batch, length, num_heads, head_size).transpose(0, 2, 1, 3)

    q = split_heads(linear(x, tensors, f"{prefix}.query"))
    k = split_heads(linear(x, tensors, f"{prefix}.key"))
    v = split_heads(linear(x, tensors, f"{prefix}.value"))
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(head_size)
    # Padding keys get zero weight. Every row has at least [CLS] unmasked.
    scores = np.where(mask[:, None, None, :] == 1, scores, -np.inf)
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights = weights / weights.sum(axis=-1, keepdims=True)
    context = weights @ v
    return context.transpose(0, 2, 1, 3).reshape(batch, length, hidden)


def bottleneck(s, tensors, prefix, activation, mistake=None):
    """Returns s + up(act(down(s))), the adapter output before the layer's residual and LayerNorm."""
    if f"{prefix}.adapter_down.0.weight" not in tensors:
        return s
    down = ACTIVATIONS[activation](linear(s, tensors, f"{prefix}.adapter_down.0"))
    up = linear(down, tensors, f"{prefix}.adapter_up")
    if mistake == "no residual around the adapter":
        return up
    return s + up


def load_numpy_setup(case, folder):
    """Reads the base model, the saved adapter folder and their configs as float64 arrays."""
    model_dir = MODELS_DIR / case.model
    with open(model_dir / "config.json", encoding="utf-8") as f:
        config = json.load(f)
    with open(folder / "adapter_config.json", encoding="utf-8") as f:
        saved_adapter = json.load(f)
    with open(folder / "head_config.json", encoding="utf-8") as f:
        saved_head = json.load(f)["config"]
    base = numpy_tensors(model_dir / "model.safetensors", MODEL_PREFIX)
    task_layer_norms = {}
    if (folder / LAYER_NORMS_FILE).exists():
        task_layer_norms = numpy_tensors(folder / LAYER_NORMS_FILE)
    return {
        "config": config,
        "name": saved_adapter["name"],
        "adapterActivation": saved_adapter["config"]["non_linearity"],
        "head": saved_head,
        "base": {**base, **task_layer_norms},
        "baseWithoutTaskLayerNorms": base,
        "adapter": numpy_tensors(folder / "adapter.safetensors", MODEL_PREFIX),
        "headTensors": numpy_tensors(folder / "model_head.safetensors"),
    }


def numpy_forward(setup, batch, mistake=None):
    """Computes the logits of one batch in float64.

    mistake names a deliberate implementation error (see mistakes_for) and is None for the correct
    computation. The sensitivity check uses it to show that the golden logits catch the error.
    """
    config = setup["config"]
    name = setup["name"]
    eps = config["layer_norm_eps"]
    hidden_act = ACTIVATIONS[config["hidden_act"]]
    base = setup["base"]
    adapter = setup["adapter"]
    adapter_act = setup["adapterActivation"]
    head_config = dict(setup["head"])
    head = setup["headTensors"]

    if mistake == "no adapters":
        adapter = {}
    elif mistake == "adapter biases left out":
        adapter = {k: (np.zeros_like(v) if k.endswith(".bias") else v) for k, v in adapter.items()}
    elif mistake == "attention and output adapters swapped":
        adapter = {swap_adapter_location(k): v for k, v in adapter.items()}
    elif mistake is not None and mistake.startswith("adapter non-linearity "):
        adapter_act = mistake.removeprefix("adapter non-linearity ")
    elif mistake == "base model layer norms":
        base = setup["baseWithoutTaskLayerNorms"]
    elif mistake == "head activation relu/tanh swapped":
        head_config["activation_function"] = "relu" if head_config["activation_function"] == "tanh" else "tanh"
    elif mistake == "use_pooler flipped":
        head_config["use_pooler"] = not head_config["use_pooler"]

    ids = np.array(batch["inputIds"])
    token_types = np.array(batch["tokenTypeIds"])
    mask = np.array(batch["attentionMask"])
    positions = np.arange(ids.shape[1])
    x = (base["embeddings.word_embeddings.weight"][ids]
         + base["embeddings.position_embeddings.weight"][positions][None]
         + base["embeddings.token_type_embeddings.weight"][token_types])
    x = layer_norm(x, base, "embeddings.LayerNorm", eps)

    def add_and_norm(x, s, block):
        prefix = f"{block}.adapters.{name}"
        if mistake == "adapter reads x + s":
            # The adapter placed after the residual add, as original_ln_before=True would do.
            return layer_norm(bottleneck(x + s, adapter, prefix, adapter_act), base, f"{block}.LayerNorm", eps)
        return layer_norm(x + bottleneck(s, adapter, prefix, adapter_act, mistake), base, f"{block}.LayerNorm", eps)

    for i in range(config["num_hidden_layers"]):
        layer = f"encoder.layer.{i}"
        context = self_attention(x, mask, base, f"{layer}.attention.self", config["num_attention_heads"])
        x = add_and_norm(x, linear(context, base, f"{layer}.attention.output.dense"), f"{layer}.attention.output")
        h = hidden_act(linear(x, base, f"{layer}.intermediate.dense"))
        x = add_and_norm(x, linear(h, base, f"{layer}.output.dense"), f"{layer}.output")

    features = x[:, 0]
    if head_config["use_pooler"]:
        features = np.tanh(linear(features, base, "pooler.dense"))
    # AdapterHub's head modules: [Dropout, Linear, activation] per hidden layer, then
    # [Dropout, Linear] to the labels. Dropout is the identity in eval mode.
    index = 0
    for _ in range(head_config["layers"] - 1):
        features = ACTIVATIONS[head_config["activation_function"]](
            linear(features, head, f"heads.{name}.{index + 1}"))
        index += 3
    return linear(features, head, f"heads.{name}.{index + 1}")


def swap_adapter_location(key):
    if ".attention.output.adapters." in key:
        return key.replace(".attention.output.adapters.", ".output.adapters.")
    return key.replace(".output.adapters.", ".attention.output.adapters.")


def mistakes_for(case):
    """Returns {deliberate error: whether the case's golden logits must detect it}."""
    mistakes = ["no adapters", "adapter biases left out", "attention and output adapters swapped",
                "no residual around the adapter", "adapter reads x + s", "use_pooler flipped"]
    mistakes += [f"adapter non-linearity {a}" for a in ACTIVATIONS if a != case.non_linearity]
    if case.head_layers > 1:
        mistakes.append("head activation relu/tanh swapped")
    if case.random_layer_norms:
        mistakes.append("base model layer norms")
    near_identical = NEAR_IDENTICAL_ACTIVATIONS.get(case.non_linearity)
    return {m: m != f"adapter non-linearity {near_identical}" for m in mistakes}


def sensitivity(case, setup, batches, golden_logits):
    """Returns {mistake: max |logit change|} over both batches."""
    changes = {}
    for mistake in mistakes_for(case):
        changes[mistake] = max(max_difference(numpy_forward(setup, batch, mistake), expected)
                               for batch, expected in zip(batches, golden_logits))
    return changes


# ---------------------------------------------------------------------------------------------
# Golden file

def golden_record(case, model, folder, batches, logits):
    with open(folder / "adapter_config.json", encoding="utf-8") as f:
        saved_adapter = json.load(f)
    with open(folder / "head_config.json", encoding="utf-8") as f:
        saved_head = json.load(f)
    cases = []
    for batch, values in zip(batches, logits):
        cases.append({**batch, "logits": values.tolist()})
    return {
        "case": case.name,
        "model": case.model,
        "reference": reference_label(),
        "versions": {"adapters": adapters.__version__, "transformers": transformers.__version__,
                     "torch": torch.__version__, "safetensors": safetensors.__version__},
        "adapterName": case.adapter_name,
        "size": case.size,
        "hiddenSize": model.config.hidden_size,
        "nonLinearity": case.non_linearity,
        "layers": list(case.adapter_layers),
        "headLayers": case.head_layers,
        "headActivation": case.head_activation,
        "usePooler": case.use_pooler,
        "labels": list(case.labels),
        "perTaskLayerNorms": case.random_layer_norms,
        "seed": case.seed,
        "savedFiles": saved_files(folder),
        "tensorKeys": saved_tensor_keys(folder),
        "adapterConfig": saved_adapter,
        "headConfig": saved_head,
        "cases": cases,
    }


def format_golden(golden):
    """Returns the golden JSON text with one line per top-level key and per case.

    Python's json writes floats with repr, the shortest text that reads back as the same float64.
    """
    def dumps(value):
        return json.dumps(value, ensure_ascii=False)

    lines = ["{"]
    for key, value in golden.items():
        if key == "cases":
            lines.append(f"  {dumps(key)}: [")
            lines += [f"    {dumps(item)}," for item in value]
            lines[-1] = lines[-1].removesuffix(",")
            lines.append("  ],")
        else:
            lines.append(f"  {dumps(key)}: {dumps(value)},")
    lines[-1] = lines[-1].removesuffix(",")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Driver

def max_difference(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    return float(np.abs(a - b).max())


def verify(case, folder, batches, golden_logits):
    """Checks golden_logits against a reload with load_adapter and against the NumPy model.

    It also applies each deliberate mistake of mistakes_for to the NumPy model and requires the
    logits to move by at least SENSITIVITY_THRESHOLD, so a test against these fixtures catches it.
    """
    reloaded = reload_logits(case, folder, batches)
    reload_diff = max(max_difference(a, b) for a, b in zip(reloaded, golden_logits))
    setup = load_numpy_setup(case, folder)
    numpy_diff = max(max_difference(numpy_forward(setup, batch), expected)
                     for batch, expected in zip(batches, golden_logits))
    changes = sensitivity(case, setup, batches, golden_logits)

    problems = []
    if reload_diff > RELOAD_TOLERANCE:
        problems.append(f"{case.name}: load_adapter logits differ by {reload_diff:.3g}")
    if numpy_diff > NUMPY_TOLERANCE:
        problems.append(f"{case.name}: NumPy logits differ by {numpy_diff:.3g}")
    required = mistakes_for(case)
    for mistake, change in changes.items():
        if required[mistake] and change < SENSITIVITY_THRESHOLD:
            problems.append(f"{case.name}: mistake '{mistake}' moves the logits by only {change:.3g}")

    scale = max(float(np.abs(np.asarray(values)).max()) for values in golden_logits)
    weakest = min((m for m in changes if required[m]), key=changes.get)
    print(f"golden_adapters: {case.name}: max |logit| {scale:.3f}, load_adapter max diff {reload_diff:.3g}, "
          f"NumPy max diff {numpy_diff:.3g}, smallest mistake effect {changes[weakest]:.3g} "
          f"('{weakest}'), {'OK' if not problems else 'FAILED'}")
    for mistake in (m for m in changes if not required[m]):
        print(f"golden_adapters: {case.name}: note: '{mistake}' moves the logits by {changes[mistake]:.3g}")
    return problems


def generate(case, inputs, out_dir):
    """Builds the case, saves it to out_dir and returns (golden record, batches, float64 logits)."""
    model, names, layer_norms = build_reference(case)
    save_case(model, case, names, layer_norms, out_dir)
    batches = build_inputs(case, model.config.max_position_embeddings, inputs)
    # float32 values are exact in float64, so the upcast model contains the saved numbers.
    model = model.double().eval()
    logits = [torch_logits(model, batch) for batch in batches]
    return golden_record(case, model, out_dir, batches, logits), batches, logits


def write_case(case, inputs):
    folder = OUTPUT_DIR / case.name
    if folder.exists():
        shutil.rmtree(folder)
    golden, batches, logits = generate(case, inputs, folder)
    (folder / GOLDEN_FILE).write_text(format_golden(golden), encoding="utf-8")
    size = sum(p.stat().st_size for p in folder.iterdir())
    print(f"golden_adapters: wrote {folder} ({size} bytes)")
    return verify(case, folder, batches, logits)


def check_case(case, inputs):
    """Compares the committed folder with a fresh build in a temporary folder."""
    folder = OUTPUT_DIR / case.name
    with open(folder / GOLDEN_FILE, encoding="utf-8") as f:
        stored = json.load(f)
    problems = []
    with tempfile.TemporaryDirectory() as scratch:
        # "model_name" in the configs is the base model path, so the output folder does not change it.
        fresh, _, _ = generate(case, inputs, pathlib.Path(scratch))
        for file in saved_files(pathlib.Path(scratch)):
            if (pathlib.Path(scratch) / file).read_bytes() != (folder / file).read_bytes():
                problems.append(f"{case.name}: {file} differs from a fresh build")
    if stored["reference"] != fresh["reference"]:
        print(f"golden_adapters: note: {case.name} was made with '{stored['reference']}'")
    for key in fresh:
        if key in ("cases", "reference", "versions"):
            continue
        if stored.get(key) != fresh[key]:
            problems.append(f"{case.name}: golden.json field {key!r} differs from a fresh build")
    for old, new in zip(stored["cases"], fresh["cases"]):
        for key in ("inputIds", "tokenTypeIds", "attentionMask"):
            if old[key] != new[key]:
                problems.append(f"{case.name} {old['name']}: {key} differs from a fresh build")
        diff = max_difference(old["logits"], new["logits"])
        if diff > RELOAD_TOLERANCE:
            problems.append(f"{case.name} {old['name']}: logits differ from a fresh build by {diff:.3g}")
    batches = [{k: v for k, v in c.items() if k != "logits"} for c in stored["cases"]]
    logits = [np.array(c["logits"]) for c in stored["cases"]]
    return problems + verify(case, folder, batches, logits)


def main(argv):
    args = parse_args(argv)
    torch.set_num_threads(1)
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    # set_active_adapters warns that no adapter is active while it switches the setup.
    logging.getLogger("adapters").setLevel(logging.ERROR)
    os.chdir(REPO_ROOT)
    with open(TEXTS_PATH, encoding="utf-8") as f:
        inputs = json.load(f)
    selected = [c for c in CASES if not args.case or c.name in args.case]
    problems = []
    for case in selected:
        problems += check_case(case, inputs) if args.check else write_case(case, inputs)
    if not args.check:
        total = sum(p.stat().st_size for p in OUTPUT_DIR.rglob("*") if p.is_file())
        print(f"golden_adapters: {OUTPUT_DIR} holds {total} bytes")
    if problems:
        hint = "\nRun without --check to regenerate the fixtures." if args.check else ""
        sys.exit("golden_adapters: failed:\n  " + "\n  ".join(problems) + hint)


if __name__ == "__main__":
    main(sys.argv[1:])
