"""Reference rows for docs/paper-table.md: the same five tasks and splits that adapterkit trains on,
with four other ways to train a classifier, on the CPU with PyTorch and scikit-learn.

Methods (--methods, comma separated, run in the given order):
  tfidf       TF-IDF of word 1-2 grams + logistic regression, with C picked on the validation split
  head        frozen MiniLM, only the linear head on the L2-normalised mean pooling (the recipe,
              learning rate 3e-3). The sentence vectors are computed once per task.
  head_lbfgs  the same frozen vectors, logistic regression trained to convergence (C picked on
              the validation split). It shows how much of 'head' is the short 3-epoch schedule.
  adapterhub  AdapterHub's Houlsby adapters (adapters.DoubleSeqBnConfig, reduction factor 16,
              swish) plus the per-layer LayerNorms, with the same head and recipe
  full        every MiniLM parameter trained, same head and recipe, learning rate 5e-5

The recipe is adapterkit's (tools/demo_adapters.mjs, RECIPE): batch 32, 3 epochs, max length 128,
AdamW (0.9, 0.999, 1e-8), weight decay 0.01 on weight matrices only, linear warm-up over the
first 10% of steps then linear decay to zero, global grad-norm clip 1.0, the best epoch on
validation kept, seed 0. Dropout is off in every method (the model stays in eval mode), because
adapterkit's trainer has no dropout; matching it keeps the comparison about what is trained.

Inputs: build/splits/<task>.json (node tools/demo_adapters.mjs --export-splits build/splits) and
the base at build/models/all-MiniLM-L6-v2/f32. Output: build/logs/paper_table.json, rewritten
after every task so a stopped run keeps what it finished. --markdown prints the table from it,
with adapterkit's row read from demo/adapters/results.json.

Run from the repository root, one method at a time (the machine is shared). docs/paper-table.md
lists the exact commands behind its table, including --full-epochs 2:
    /work/venv/ah/bin/python tools/reference/paper_table.py --methods tfidf,head,head_lbfgs
    /work/venv/ah/bin/python tools/reference/paper_table.py --methods adapterhub
    /work/venv/ah/bin/python tools/reference/paper_table.py --methods full [--full-epochs N] [--full-head-lr X]
    /work/venv/ah/bin/python tools/reference/paper_table.py --markdown
"""

import argparse
import json
import math
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "build" / "models" / "all-MiniLM-L6-v2" / "f32"
SPLITS = ROOT / "build" / "splits"
OUT = ROOT / "build" / "logs" / "paper_table.json"
ADAPTERKIT_RESULTS = ROOT / "demo" / "adapters" / "results.json"
TASKS = ["sst2", "trec6", "emotion", "sms_spam", "ag_news"]
BASE_PARAMETERS = 22_713_216  # BertModel with pooler, as adapterkit counts the base

RECIPE = {
    "batchSize": 32,
    "epochs": 3,
    "maxLength": 128,
    "warmupRatio": 0.1,
    "weightDecay": 0.01,
    "maxGradNorm": 1.0,
    "betas": (0.9, 0.999),
    "eps": 1e-8,
    "seed": 0,
}
LEARNING_RATE = {"head": 3e-3, "adapterhub": 3e-3, "full": 5e-5}
C_GRID = [0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000]

torch.set_num_threads(1)


# ---------------------------------------------------------------- results file


def load_results():
    if OUT.exists():
        return json.loads(OUT.read_text())
    return {"methods": {}}


def save_result(method, task, entry, method_info):
    """Merges one task's result into the JSON file, rereading it so separate runs add up."""
    results = load_results()
    results["machine"] = f"{platform.machine()}, {os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}"
    method_results = results["methods"].setdefault(method, {"tasks": {}})
    method_results.update(method_info)
    method_results["tasks"][task] = entry
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=1) + "\n")
    tmp.replace(OUT)


def log(message):
    print(time.strftime("%H:%M:%S"), message, flush=True)


# ---------------------------------------------------------------- data


def read_task(task):
    data = json.loads((SPLITS / f"{task}.json").read_text())
    labels = data["labels"]
    index = {label: i for i, label in enumerate(labels)}

    def split(name):
        rows = data[name]
        return [r["text"] for r in rows], np.array([index[str(r["label"]).strip()] for r in rows], dtype=np.int64)

    return labels, split("train"), split("validation"), split("test")


class Tokens:
    """Token ids of one split, tokenised once. Each batch is padded to its longest row."""

    def __init__(self, tokenizer, texts):
        self.ids = tokenizer(texts, truncation=True, max_length=RECIPE["maxLength"])["input_ids"]

    def batch(self, rows):
        width = max(len(self.ids[r]) for r in rows)
        ids = torch.zeros((len(rows), width), dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, : len(self.ids[r])] = torch.tensor(self.ids[r])
            mask[i, : len(self.ids[r])] = 1
        return ids, mask

    def by_length(self, batch_size):
        """Evaluation batches of similar lengths, so little time goes into padding."""
        order = sorted(range(len(self.ids)), key=lambda r: len(self.ids[r]))
        return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def sentence_vectors(model, ids, mask):
    """Mean over the real tokens of the last hidden states, then L2-normalised (modules.json)."""
    hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
    m = mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
    return F.normalize(pooled, p=2, dim=-1)


def make_head(n_labels):
    # adapterkit draws the head's weights from N(0, 0.02) with zero biases (src/task.cpp).
    head = torch.nn.Linear(384, n_labels)
    with torch.no_grad():
        head.weight.normal_(0.0, 0.02)
        head.bias.zero_()
    return head


def load_base():
    from transformers import BertModel

    return BertModel.from_pretrained(MODEL)


# ---------------------------------------------------------------- the shared training loop


def learning_rate_at(step, total, peak):
    """adapterkit's schedule (web/training.js): warm-up reaches the peak at the last warm-up step."""
    warmup = math.floor(total * RECIPE["warmupRatio"])
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * max(0, total - step) / max(1, total - warmup)


def train_loop(forward, trainable, decayed_names, y_train, n_train, validate, peak, epochs, head_peak=None):
    """Runs the recipe over named parameters, with forward(rows) giving the logits of train rows.

    head_peak, when given, is a separate peak learning rate for the head.* parameters (same
    schedule shape). Returns the per-epoch history and the best epoch's parameters (copies), chosen on validation
    accuracy with ties kept at the earlier epoch, as adapterkit does.
    """
    names = list(trainable)
    groups = []
    for is_head in (False, True):
        scale = (head_peak / peak) if (is_head and head_peak is not None) else 1.0
        for decay in (True, False):
            members = [trainable[n] for n in names if n.startswith("head.") == is_head and (n in decayed_names) == decay]
            if members:
                groups.append({"params": members, "weight_decay": RECIPE["weightDecay"] if decay else 0.0, "scale": scale})
    optimizer = torch.optim.AdamW(groups, lr=peak, betas=RECIPE["betas"], eps=RECIPE["eps"])
    batch_size = RECIPE["batchSize"]
    steps_per_epoch = math.ceil(n_train / batch_size)
    total = steps_per_epoch * epochs
    generator = torch.Generator().manual_seed(RECIPE["seed"])
    labels = torch.from_numpy(y_train)
    params = [trainable[n] for n in names]
    history, best, step = [], None, 0
    started = time.time()
    for epoch in range(epochs):
        order = torch.randperm(n_train, generator=generator).tolist()
        loss_sum = 0.0
        for start in range(0, n_train, batch_size):
            rows = order[start : start + batch_size]
            rate = learning_rate_at(step, total, peak)
            for group in optimizer.param_groups:
                group["lr"] = rate * group["scale"]
            loss = F.cross_entropy(forward(rows), labels[rows])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, RECIPE["maxGradNorm"])
            optimizer.step()
            loss_sum += loss.item() * len(rows)
            step += 1
        accuracy = validate()
        entry = {"epoch": epoch + 1, "trainLoss": loss_sum / n_train, "validationAccuracy": accuracy,
                 "seconds": round(time.time() - started, 1)}
        history.append(entry)
        log(f"  epoch {epoch + 1}: train loss {entry['trainLoss']:.4f}, validation accuracy {accuracy * 100:.2f}%")
        if best is None or accuracy > best["accuracy"]:
            best = {"accuracy": accuracy, "epoch": epoch + 1, "state": {n: p.detach().clone() for n, p in trainable.items()}}
    return history, best


def restore(trainable, state):
    with torch.no_grad():
        for n, p in trainable.items():
            p.copy_(state[n])


def is_decayed(name):
    # Weight matrices (and embedding tables, for full fine-tuning) decay, but biases and LayerNorms do not.
    return name.endswith(".weight") and "LayerNorm" not in name


@torch.inference_mode()
def predict(model, head, tokens, batch_size=64):
    predictions = np.zeros(len(tokens.ids), dtype=np.int64)
    for rows in tokens.by_length(batch_size):
        ids, mask = tokens.batch(rows)
        predictions[rows] = head(sentence_vectors(model, ids, mask)).argmax(-1).numpy()
    return predictions


def run_encoder_method(method, task, tokenizer, epochs, head_peak=None):
    """Trains through the encoder (adapterhub or full) and scores the test split once, at the best epoch."""
    labels, (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = read_task(task)
    tr, va, te = Tokens(tokenizer, x_tr), Tokens(tokenizer, x_va), Tokens(tokenizer, x_te)
    started = time.time()
    torch.manual_seed(RECIPE["seed"])
    model = load_base()
    if method == "adapterhub":
        import adapters
        from adapters import DoubleSeqBnConfig

        adapters.init(model)
        config = DoubleSeqBnConfig(reduction_factor=16, non_linearity="swish")
        model.add_adapter(task, config=config)
        model.train_adapter(task)  # freezes the base, unfreezes the adapter, activates it
        for layer in model.encoder.layer:
            for ln in (layer.attention.output.LayerNorm, layer.output.LayerNorm):
                ln.weight.requires_grad_(True)
                ln.bias.requires_grad_(True)
    else:
        for p in model.parameters():
            p.requires_grad_(True)
    model.eval()  # no dropout, because adapterkit has none (train_adapter had switched to train mode)
    head = make_head(len(labels))
    trainable = {f"encoder.{n}": p for n, p in model.named_parameters() if p.requires_grad}
    # The pooler is not on the path to the mean-pooled head, so it gets no gradient and is not trained.
    trainable = {n: p for n, p in trainable.items() if ".pooler." not in n}
    trainable.update({f"head.{n}": p for n, p in head.named_parameters()})
    decayed_names = {n for n in trainable if is_decayed(n)}
    trained_parameters = sum(p.numel() for p in trainable.values())
    log(f"{method} {task}: {trained_parameters:,} trained parameters ({trained_parameters / BASE_PARAMETERS * 100:.3f}% of base), "
        f"attention {model.config._attn_implementation}")

    def forward(rows):
        ids, mask = tr.batch(rows)
        return head(sentence_vectors(model, ids, mask))

    def validate():
        return float((predict(model, head, va) == y_va).mean())

    history, best = train_loop(forward, trainable, decayed_names, y_tr, len(x_tr), validate, LEARNING_RATE[method], epochs, head_peak)
    restore(trainable, best["state"])
    test_accuracy = float((predict(model, head, te) == y_te).mean())
    seconds = time.time() - started
    log(f"{method} {task}: best epoch {best['epoch']}, test accuracy {test_accuracy * 100:.2f}% ({seconds:.0f} s)")
    return {
        "testAccuracy": test_accuracy,
        "testCount": len(y_te),
        "bestEpoch": best["epoch"],
        "history": history,
        "trainedParameters": trained_parameters,
        "trainedShareOfBase": trained_parameters / BASE_PARAMETERS,
        "learningRate": LEARNING_RATE[method],
        "headLearningRate": head_peak if head_peak is not None else LEARNING_RATE[method],
        "epochs": epochs,
        "wallSeconds": round(seconds, 1),
    }


# ---------------------------------------------------------------- frozen-feature methods


@torch.inference_mode()
def frozen_vectors(model, tokens):
    out = torch.zeros((len(tokens.ids), 384))
    for rows in tokens.by_length(64):
        ids, mask = tokens.batch(rows)
        out[rows] = sentence_vectors(model, ids, mask)
    return out


_vector_cache = {}


def cached_vectors(task, tokenizer):
    """Sentence vectors of the frozen base for one task's three splits, computed once per process."""
    if task not in _vector_cache:
        labels, (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = read_task(task)
        started = time.time()
        model = load_base().eval()
        vectors = [frozen_vectors(model, Tokens(tokenizer, x)) for x in (x_tr, x_va, x_te)]
        seconds = time.time() - started
        log(f"{task}: frozen sentence vectors in {seconds:.0f} s")
        _vector_cache[task] = (labels, vectors, (y_tr, y_va, y_te), seconds)
    return _vector_cache[task]


def run_head(task, tokenizer):
    labels, (v_tr, v_va, v_te), (y_tr, y_va, y_te), embed_seconds = cached_vectors(task, tokenizer)
    started = time.time()
    torch.manual_seed(RECIPE["seed"])
    head = make_head(len(labels))
    trainable = {f"head.{n}": p for n, p in head.named_parameters()}

    def validate():
        with torch.no_grad():
            return float((head(v_va).argmax(-1).numpy() == y_va).mean())

    history, best = train_loop(lambda rows: head(v_tr[rows]), trainable, {"head.weight"}, y_tr, len(y_tr), validate, LEARNING_RATE["head"], RECIPE["epochs"])
    restore(trainable, best["state"])
    with torch.no_grad():
        test_accuracy = float((head(v_te).argmax(-1).numpy() == y_te).mean())
    trained = sum(p.numel() for p in trainable.values())
    seconds = embed_seconds + time.time() - started
    log(f"head {task}: best epoch {best['epoch']}, test accuracy {test_accuracy * 100:.2f}%")
    return {"testAccuracy": test_accuracy, "testCount": len(y_te), "bestEpoch": best["epoch"], "history": history,
            "trainedParameters": trained, "trainedShareOfBase": trained / BASE_PARAMETERS,
            "learningRate": LEARNING_RATE["head"], "epochs": RECIPE["epochs"],
            "wallSeconds": round(seconds, 1), "embeddingSeconds": round(embed_seconds, 1)}


def pick_c(make, x_tr, y_tr, x_va, y_va):
    """Fits one model per C and keeps the best on validation (the smaller C on ties)."""
    scores = {}
    best = None
    for c in C_GRID:
        model = make(c).fit(x_tr, y_tr)
        scores[str(c)] = float((model.predict(x_va) == y_va).mean())
        if best is None or scores[str(c)] > best[1]:
            best = (c, scores[str(c)], model)
    return best, scores


def run_head_lbfgs(task, tokenizer):
    from sklearn.linear_model import LogisticRegression

    labels, (v_tr, v_va, v_te), (y_tr, y_va, y_te), embed_seconds = cached_vectors(task, tokenizer)
    started = time.time()
    (c, _, model), scores = pick_c(lambda c: LogisticRegression(C=c, max_iter=5000), v_tr.numpy(), y_tr, v_va.numpy(), y_va)
    test_accuracy = float((model.predict(v_te.numpy()) == y_te).mean())
    trained = int(model.coef_.size + model.intercept_.size)
    seconds = embed_seconds + time.time() - started
    log(f"head_lbfgs {task}: C {c}, test accuracy {test_accuracy * 100:.2f}%")
    return {"testAccuracy": test_accuracy, "testCount": len(y_te), "C": c, "validationByC": scores,
            "trainedParameters": trained, "trainedShareOfBase": trained / BASE_PARAMETERS,
            "wallSeconds": round(seconds, 1), "embeddingSeconds": round(embed_seconds, 1)}


def run_tfidf(task):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    labels, (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = read_task(task)
    started = time.time()
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    f_tr = vectorizer.fit_transform(x_tr)
    (c, _, model), scores = pick_c(lambda c: LogisticRegression(C=c, max_iter=5000), f_tr, y_tr, vectorizer.transform(x_va), y_va)
    test_accuracy = float((model.predict(vectorizer.transform(x_te)) == y_te).mean())
    trained = int(model.coef_.size + model.intercept_.size)
    seconds = time.time() - started
    log(f"tfidf {task}: {f_tr.shape[1]} features, C {c}, test accuracy {test_accuracy * 100:.2f}%")
    return {"testAccuracy": test_accuracy, "testCount": len(y_te), "C": c, "validationByC": scores, "features": f_tr.shape[1],
            "trainedParameters": trained, "trainedShareOfBase": trained / BASE_PARAMETERS, "wallSeconds": round(seconds, 1)}


# ---------------------------------------------------------------- the table


EXTRA_ROWS = {"full_headlr", "head_lbfgs"}  # diagnostics that explain the other rows
ROWS = [
    ("adapterkit", "adapterkit (this library, trained in wasm): Houlsby m=24 + LayerNorms, lr 3e-3"),
    ("adapterhub", "AdapterHub `DoubleSeqBnConfig` (Houlsby, m=24) + LayerNorms, lr 3e-3"),
    ("full", "Full fine-tuning, lr 5e-5"),
    ("full_headlr", "Full fine-tuning, lr 5e-5, head lr 3e-3"),
    ("head", "Frozen base, linear head only, lr 3e-3"),
    ("head_lbfgs", "Frozen base, logistic regression to convergence"),
    ("tfidf", "TF-IDF word 1-2 grams + logistic regression"),
]


def adapterkit_row():
    if not ADAPTERKIT_RESULTS.exists():
        return {"tasks": {}}
    data = json.loads(ADAPTERKIT_RESULTS.read_text())
    tasks = {}
    for task, entry in data.get("tasks", {}).items():
        if entry.get("testAccuracy") is not None:
            tasks[task] = {"testAccuracy": entry["testAccuracy"], "trainedParameters": entry.get("trainedParameters"),
                           "trainedShareOfBase": entry.get("trainedShareOfBase"), "wallSeconds": entry.get("trainingSeconds")}
    return {"tasks": tasks}


def share_text(entries):
    shares = [e["trainedShareOfBase"] for e in entries if e.get("trainedShareOfBase") is not None]
    if not shares:
        return "pending"
    low, high = f"{min(shares) * 100:.3g}", f"{max(shares) * 100:.3g}"
    return f"{low}%" if low == high else f"{low}-{high}%"


def markdown():
    results = load_results()["methods"]
    results["adapterkit"] = adapterkit_row()
    lines = ["| Method | " + " | ".join(TASKS) + " | Mean | Trained parameters, % of base |",
             "|---|" + "---:|" * (len(TASKS) + 2)]
    for key, title in ROWS:
        tasks = results.get(key, {}).get("tasks", {})
        epochs = sorted({tasks[t]["epochs"] for t in tasks if "epochs" in tasks[t]})
        if key in ("full", "full_headlr") and epochs:
            title += f", {'/'.join(map(str, epochs))} epoch{'s' if epochs != [1] else ''}" + (" (recipe: 3)" if epochs != [RECIPE["epochs"]] else "")
        if key in EXTRA_ROWS:
            title += " (extra row)"
        cells = [f"{tasks[t]['testAccuracy'] * 100:.2f}" if t in tasks else "pending" for t in TASKS]
        done = [tasks[t]["testAccuracy"] for t in TASKS if t in tasks]
        mean = f"{np.mean(done) * 100:.2f}" if len(done) == len(TASKS) else "pending"
        lines.append(f"| {title} | " + " | ".join(cells) + f" | {mean} | {share_text([tasks[t] for t in TASKS if t in tasks])} |")
    lines += ["", "Wall time in seconds (training, validation and test scoring; frozen-base rows include computing the vectors):", "",
              "| Method | " + " | ".join(TASKS) + " | Total |", "|---|" + "---:|" * (len(TASKS) + 1)]
    for key, title in ROWS:
        tasks = results.get(key, {}).get("tasks", {})
        seconds = [tasks[t].get("wallSeconds") if t in tasks else None for t in TASKS]
        cells = [f"{v:.0f}" if v is not None else "pending" for v in seconds]
        total = f"{sum(seconds):.0f}" if all(v is not None for v in seconds) else "pending"
        lines.append(f"| {title.split(':')[0]} | " + " | ".join(cells) + f" | {total} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--methods", default="tfidf,head,head_lbfgs,adapterhub,full")
    parser.add_argument("--tasks", default=",".join(TASKS))
    # On a shared 2-core machine, full fine-tuning may need fewer epochs to finish in time. The
    # warm-up and decay then span the shorter run.
    parser.add_argument("--full-epochs", type=int, default=RECIPE["epochs"], help="epochs for full fine-tuning")
    # The head reads unit-length vectors, so its logits can grow only as fast as its weights do. At
    # 5e-5 they hardly move in a few hundred steps, and this option tests that as a separate row.
    parser.add_argument("--full-head-lr", type=float, default=None,
                        help="peak learning rate of the head in full fine-tuning, stored as method 'full_headlr'")
    parser.add_argument("--markdown", action="store_true", help="print the table from build/logs/paper_table.json and stop")
    args = parser.parse_args()
    if args.markdown:
        print(markdown())
        return
    from transformers import BertTokenizerFast

    tokenizer = BertTokenizerFast.from_pretrained(MODEL)
    for method in args.methods.split(","):
        started = time.time()
        for task in args.tasks.split(","):
            if method == "tfidf":
                entry = run_tfidf(task)
            elif method == "head":
                entry = run_head(task, tokenizer)
            elif method == "head_lbfgs":
                entry = run_head_lbfgs(task, tokenizer)
            elif method == "full" and args.full_head_lr is not None:
                entry = run_encoder_method(method, task, tokenizer, args.full_epochs, args.full_head_lr)
                save_result("full_headlr", task, entry, {})
                continue
            elif method in ("adapterhub", "full"):
                entry = run_encoder_method(method, task, tokenizer, args.full_epochs if method == "full" else RECIPE["epochs"])
            else:
                raise SystemExit(f"invalid method '{method}'; expected tfidf, head, head_lbfgs, adapterhub or full")
            save_result(method, task, entry, {})
        log(f"{method}: all tasks in {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
