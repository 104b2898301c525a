"""Golden sentence embeddings of all-MiniLM-L6-v2 for adapterkit's tests, from transformers.

Takes 50 sentences from the test split of each dataset in ../shared/datasets (a seeded sample),
tokenizes them with transformers' BertTokenizer from the model folder (truncation at
sentence-transformers' max_seq_length, 256), runs BertModel in float64 on the F32 and on the F16
files of build/models/all-MiniLM-L6-v2, and applies sentence-transformers' pooling (mean over
the real tokens, then L2 normalisation). Only token ids and embeddings are stored, no dataset
text.

Run from the repository root after 'npm run build' (which creates build/models):
    /work/venv/ref/bin/python tools/reference/golden_minilm.py
"""

import base64
import csv
import json
import random
from pathlib import Path

import numpy as np
import torch
import transformers
from transformers import BertModel, BertTokenizer

ROOT = Path(__file__).resolve().parents[2]
DATASETS = ROOT.parent / "shared" / "datasets"
MODELS = ROOT / "build" / "models" / "all-MiniLM-L6-v2"
OUTPUT = ROOT / "wasm_tests" / "fixtures" / "golden" / "minilm.json"
PER_DATASET = 50
MAX_LENGTH = 256

torch.set_num_threads(1)


def sentences():
    rows = []
    for dataset in sorted(p.name for p in DATASETS.iterdir() if p.is_dir()):
        with open(DATASETS / dataset / "test.csv", newline="", encoding="utf-8") as f:
            texts = [row["text"] for row in csv.DictReader(f)]
        random.Random(7).shuffle(texts)
        rows.extend((dataset, t) for t in texts[:PER_DATASET])
    return rows


def embed(folder, batch):
    model = BertModel.from_pretrained(folder, attn_implementation="eager").double().eval()
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).double()
    mean = (hidden * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(mean, dim=-1).numpy()


def main():
    rows = sentences()
    tokenizer = BertTokenizer.from_pretrained(MODELS / "f32")
    batch = tokenizer([t for _, t in rows], padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt")
    lengths = batch["attention_mask"].sum(1).tolist()
    ids = [row[:n] for row, n in zip(batch["input_ids"].tolist(), lengths)]
    golden = {
        "reference": f"transformers {transformers.__version__} BertModel, float64, mean pooling + L2 normalisation",
        "datasets": [d for d, _ in rows],
        "inputIds": ids,
        "maxLength": MAX_LENGTH,
    }
    for dtype in ("f32", "f16"):
        values = embed(MODELS / dtype, batch).astype("<f4")
        golden[dtype] = {"shape": list(values.shape), "dtype": "float32", "base64": base64.b64encode(values.tobytes()).decode("ascii")}
    OUTPUT.write_text(json.dumps(golden) + "\n")
    print(f"{len(rows)} sentences -> {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
