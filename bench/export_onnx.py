"""Export the benchmark models to ONNX so that onnxruntime-web and transformers.js run the same
weights as adapterkit.

For each model folder (Hugging Face layout, model.safetensors) this writes:
  <out>/model.onnx         inputs input_ids, attention_mask, token_type_ids (int64, [batch, sequence]);
                           outputs last_hidden_state [batch, sequence, hidden], pooler_output [batch, hidden]
  <out>/reference.json     a small padded batch and torch's last_hidden_state for it, to check the
                           ONNX graph and adapterkit against PyTorch
  <out>/export_info.json   versions and options of the export
With --tokenizer it also writes tokenizer.json, tokenizer_config.json and config.json next to
onnx/model.onnx, the folder layout that transformers.js reads.

Usage:
  python bench/export_onnx.py --model DIR --out DIR [--tokenizer] [--onnx-subfolder]

The legacy TorchScript exporter (dynamo=False) is used because the torch.export-based one needs
the onnx and onnxscript packages.
"""

import argparse
import json
import os
import shutil
import sys
import time

import torch
import transformers
from transformers import AutoTokenizer, BertModel

OPSET = 17  # 17 has a native LayerNormalization node, which onnxruntime runs as one kernel


def allow_export_without_onnx_package():
    """Let the legacy exporter write its protobuf without the onnx Python package.

    torch's TorchScript exporter builds the ModelProto bytes in C++ and then calls
    _add_onnxscript_fn, which imports onnx only to append onnxscript custom functions. A BertModel
    graph has no custom-domain nodes, so that step would return the bytes unchanged.
    """
    try:
        import onnx  # noqa: F401

        return False
    except ImportError:
        pass
    from torch.onnx._internal.torchscript_exporter import onnx_proto_utils, utils

    def keep_bytes(model_bytes, custom_opsets):
        if custom_opsets:
            raise RuntimeError(f"custom opsets {custom_opsets} need the onnx package to export")
        return model_bytes

    # utils.py calls it through the module attribute, so replacing it there is enough.
    onnx_proto_utils._add_onnxscript_fn = keep_bytes
    return True


class EncoderOutputs(torch.nn.Module):
    """Return BertModel's two outputs as a tuple, with the inputs passed by name."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, token_type_ids):
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        return out.last_hidden_state, out.pooler_output


def reference_batch(vocab_size):
    """Return a 2 x 16 batch whose second row has 10 tokens and 6 [PAD] (id 0)."""
    generator = torch.Generator().manual_seed(11)
    ids = torch.randint(5, vocab_size, (2, 16), generator=generator)
    ids[:, 0] = 101 if vocab_size > 102 else 2
    ids[0, 15] = 102 if vocab_size > 102 else 3
    ids[1, 9] = 102 if vocab_size > 102 else 3
    ids[1, 10:] = 0
    mask = torch.ones_like(ids)
    mask[1, 10:] = 0
    return ids, mask


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="Hugging Face BERT folder with model.safetensors")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--tokenizer", action="store_true", help="also write tokenizer.json for transformers.js")
    parser.add_argument("--onnx-subfolder", action="store_true", help="write the graph to <out>/onnx/model.onnx")
    args = parser.parse_args()

    started = time.time()
    patched = allow_export_without_onnx_package()
    torch.manual_seed(0)
    # Eager attention traces to MatMul/Softmax nodes, the pattern onnxruntime's attention fusion expects.
    model = BertModel.from_pretrained(args.model, attn_implementation="eager").eval()
    config = model.config
    os.makedirs(args.out, exist_ok=True)
    onnx_dir = os.path.join(args.out, "onnx") if args.onnx_subfolder else args.out
    os.makedirs(onnx_dir, exist_ok=True)
    onnx_path = os.path.join(onnx_dir, "model.onnx")
    temporary = onnx_path + ".partial"

    ids, mask = reference_batch(config.vocab_size)
    types = torch.zeros_like(ids)
    wrapped = EncoderOutputs(model)
    axes = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
            "token_type_ids": {0: "batch", 1: "sequence"}, "last_hidden_state": {0: "batch", 1: "sequence"},
            "pooler_output": {0: "batch"}}
    with torch.no_grad():
        reference = wrapped(ids, mask, types)
        torch.onnx.export(
            wrapped, (ids, mask, types), temporary, dynamo=False, opset_version=OPSET,
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state", "pooler_output"], dynamic_axes=axes, do_constant_folding=True,
        )
    os.replace(temporary, onnx_path)

    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump({
            "inputIds": ids.tolist(), "attentionMask": mask.tolist(),
            "lastHiddenState": reference[0].flatten().tolist(), "dims": list(reference[0].shape),
        }, f)

    if args.tokenizer:
        tokenizer = AutoTokenizer.from_pretrained(args.model)
        tokenizer.save_pretrained(args.out)
        if not os.path.exists(os.path.join(args.out, "tokenizer.json")):
            sys.exit(f"export_onnx: {args.model}: the tokenizer was saved without tokenizer.json, which transformers.js needs")
        shutil.copyfile(os.path.join(args.model, "config.json"), os.path.join(args.out, "config.json"))

    info = {
        "source": os.path.abspath(args.model), "onnx": os.path.relpath(onnx_path, args.out), "opset": OPSET,
        "exporter": "torch.onnx.export(dynamo=False)", "attention": "eager",
        "onnxPackageMissingWorkaround": patched, "torch": torch.__version__, "transformers": transformers.__version__,
        "bytes": os.path.getsize(onnx_path), "seconds": round(time.time() - started, 1),
    }
    with open(os.path.join(args.out, "export_info.json"), "w") as f:
        json.dump(info, f, indent=2)
    print(f"export_onnx: wrote {onnx_path} ({info['bytes']} bytes, opset {OPSET}) in {info['seconds']} s")


if __name__ == "__main__":
    main()
