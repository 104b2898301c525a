"""Checks that an adapter exported by adapterkit (tools/adapterhub.mjs export) loads in
AdapterHub's `adapters` library and gives the logits adapterkit computed.

    node tools/reference/export_for_adapterhub.mjs build/export-check      # writes the folder
    /work/venv/ah/bin/python tools/reference/check_adapterhub_export.py build/export-check
"""

import json
import sys
from pathlib import Path

import torch
from adapters import AutoAdapterModel
from transformers import AutoConfig, BertTokenizer

torch.set_num_threads(1)


def main(folder):
    folder = Path(folder)
    expected = json.loads((folder / "expected.json").read_text())
    config = AutoConfig.from_pretrained(expected["model"])
    config.architectures = None
    model = AutoAdapterModel.from_pretrained(expected["model"], config=config)
    name = model.load_adapter(str(folder / "adapter"), with_head=True, use_safetensors=True)
    model.set_active_adapters(name)
    model = model.double().eval()
    tokenizer = BertTokenizer.from_pretrained(expected["model"])
    batch = tokenizer(expected["texts"], padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        logits = model(**batch).logits.numpy()
    worst = float(abs(logits - torch.tensor(expected["logits"]).numpy()).max())
    print(f"adapter '{name}': max |logit difference| adapterkit vs AdapterHub = {worst:.3g}")
    return 0 if worst <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
