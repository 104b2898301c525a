"""Reference gradients and AdamW loss trajectories for adapterkit's training, from PyTorch
autograd on transformers' BertModel.

The adapters are attached with forward hooks on the attention and feed-forward output
projections (s -> s + up(act(down(s))), before dropout, the residual add and the layer norm);
per-task layer norms replace the base's LayerNorm parameters; the head is written out in torch.
Everything runs in float64, in eval mode.

Inputs: wasm_tests/fixtures/training/<case>.safetensors and <case>.case.json, written by
tools/reference/make_training_adapters.mjs. Output: wasm_tests/fixtures/training/<case>.golden.json.

Run from the repository root:
    /work/venv/ref/bin/python tools/reference/golden_training.py
"""

import base64
import json
import math
from pathlib import Path

import numpy as np
import torch
import transformers
from safetensors.numpy import load_file
from transformers import BertModel, BertTokenizer

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "wasm_tests" / "fixtures"
TEXTS = [
    "The museum opens at nine.",
    "Why did the ship turn back before the storm?",
    "Hello, world!",
    "Zoë ordered a crème brûlée at the café in Montréal.",
]
LABEL_ROWS = [0, 1, 1, 0]  # label index per row, taken modulo the label count
STEPS = 10
HYPERPARAMETERS = {"lr": 0.01, "weightDecay": 0.01, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "maxGradNorm": 1.0}

torch.set_num_threads(1)
torch.manual_seed(0)


def activation(name):
    return {
        "relu": torch.relu,
        "gelu": lambda x: torch.nn.functional.gelu(x),
        "swish": torch.nn.functional.silu,
        "tanh": torch.tanh,
    }[name]


def encode_f32(array):
    return base64.b64encode(np.asarray(array, dtype="<f4").tobytes()).decode("ascii")


def build(case):
    folder = FIXTURES / "models" / case["model"]
    model = BertModel.from_pretrained(folder, attn_implementation="eager").double().eval()
    for p in model.parameters():
        p.requires_grad_(False)
    tokenizer = BertTokenizer.from_pretrained(folder)
    tensors = load_file(str(FIXTURES / "training" / f"{case['name']}.safetensors"))
    raw = (FIXTURES / "training" / f"{case['name']}.safetensors").read_bytes()
    header_length = int.from_bytes(raw[:8], "little")
    metadata = json.loads(json.loads(raw[8 : 8 + header_length])["__metadata__"]["adapterkit"])
    params = {name: torch.tensor(value, dtype=torch.float64, requires_grad=True) for name, value in tensors.items()}
    act = activation(metadata["adapter"]["nonLinearity"])
    name = metadata["name"]

    def hook_for(prefix):
        def hook(module, inputs, output):
            down_w = params[prefix + "adapter_down.0.weight"]
            down_b = params[prefix + "adapter_down.0.bias"]
            up_w = params[prefix + "adapter_up.weight"]
            up_b = params[prefix + "adapter_up.bias"]
            return output + torch.nn.functional.linear(act(torch.nn.functional.linear(output, down_w, down_b)), up_w, up_b)

        return hook

    for il, layer in enumerate(model.encoder.layer):
        for site, module, ln in (
            ("attention.output.", layer.attention.output.dense, layer.attention.output.LayerNorm),
            ("output.", layer.output.dense, layer.output.LayerNorm),
        ):
            prefix = f"encoder.layer.{il}.{site}adapters.{name}."
            if prefix + "adapter_down.0.weight" in params:
                module.register_forward_hook(hook_for(prefix))
            ln_prefix = f"encoder.layer.{il}.{site}LayerNorm."
            if ln_prefix + "weight" in params:
                # The module's parameters become the task's tensors, so gradients land in params.
                params[ln_prefix + "weight"] = ln.weight = torch.nn.Parameter(params[ln_prefix + "weight"].detach())
                params[ln_prefix + "bias"] = ln.bias = torch.nn.Parameter(params[ln_prefix + "bias"].detach())
    return model, tokenizer, metadata, params


def loss_of(model, tokenizer, metadata, params, batch, labels, class_weights):
    out = model(**batch)
    hidden = out.last_hidden_state
    head = metadata["head"]
    if head["input"] == "pooler":
        features = out.pooler_output
    elif head["input"] == "cls":
        features = hidden[:, 0]
    else:
        mask = batch["attention_mask"].unsqueeze(-1).double()
        features = (hidden * mask).sum(1) / mask.sum(1)
    if head.get("normalize"):
        features = features / features.norm(dim=-1, keepdim=True)
    hp = f"heads.{metadata['name']}."
    if head["layers"] == 2:
        z = activation(head["activation"])(torch.nn.functional.linear(features, params[hp + "1.weight"], params[hp + "1.bias"]))
        logits = torch.nn.functional.linear(z, params[hp + "4.weight"], params[hp + "4.bias"])
    else:
        logits = torch.nn.functional.linear(features, params[hp + "1.weight"], params[hp + "1.bias"])
    weight = None if class_weights is None else torch.tensor(class_weights, dtype=torch.float64)
    return torch.nn.functional.cross_entropy(logits, labels, weight=weight)


def main():
    for path in sorted((FIXTURES / "training").glob("*.case.json")):
        case = json.loads(path.read_text())
        model, tokenizer, metadata, params = build(case)
        n_labels = len(metadata["head"]["labels"])
        labels = torch.tensor([row % n_labels for row in LABEL_ROWS])
        batch = tokenizer(TEXTS, padding=True, truncation=True, max_length=model.config.max_position_embeddings, return_tensors="pt")

        # gradients at the file's parameters
        loss = loss_of(model, tokenizer, metadata, params, batch, labels, case["classWeights"])
        names = list(params)
        grads = torch.autograd.grad(loss, [params[n] for n in names])
        gradients = {n: {"shape": list(g.shape), "base64": encode_f32(g.detach().numpy())} for n, g in zip(names, grads)}

        # ten AdamW steps on the same batch; decay on adapter and head weights only
        decayed = [params[n] for n in names if n.endswith(".weight") and "LayerNorm" not in n]
        others = [params[n] for n in names if not (n.endswith(".weight") and "LayerNorm" not in n)]
        h = HYPERPARAMETERS
        optimizer = torch.optim.AdamW(
            [{"params": decayed, "weight_decay": h["weightDecay"]}, {"params": others, "weight_decay": 0.0}],
            lr=h["lr"], betas=(h["beta1"], h["beta2"]), eps=h["epsilon"], foreach=False,
        )
        losses = []
        for _ in range(STEPS):
            optimizer.zero_grad()
            loss = loss_of(model, tokenizer, metadata, params, batch, labels, case["classWeights"])
            loss.backward()
            torch.nn.utils.clip_grad_norm_([params[n] for n in names], h["maxGradNorm"])
            optimizer.step()
            losses.append(loss.item())
        final_loss = loss_of(model, tokenizer, metadata, params, batch, labels, case["classWeights"]).item()

        golden = {
            "case": case["name"],
            "reference": f"transformers {transformers.__version__} BertModel + torch {torch.__version__} autograd, float64",
            "texts": TEXTS,
            "labels": labels.tolist(),
            "classWeights": case["classWeights"],
            "inputIds": batch["input_ids"].tolist(),
            "initialLoss": float(losses[0]),
            "gradients": gradients,
            "hyperparameters": h,
            "losses": losses,
            "finalLoss": final_loss,
        }
        out = FIXTURES / "training" / f"{case['name']}.golden.json"
        out.write_text(json.dumps(golden, indent=1) + "\n")
        print(f"{case['name']}: initial loss {losses[0]:.6f}, after {STEPS} steps {final_loss:.6f} -> {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
