#!/usr/bin/env python3
"""Compares web/tokenizer.js with Hugging Face's BERT tokenizers on every row of the text datasets.

Command and result, run from the repository root with the datasets in their default place
(transformers 5.25.0, tokenizers 0.23.3, Python 3.11.7, Node 20.20.2):
  /work/venv/ref/bin/python tools/reference/check_tokenizer.py
  48714 sentences, 0 mismatches (194856 encodings in 4 settings)
    ag_news   7600 sentences (test 1520, train 6080), 0 mismatches
    emotion  20000 sentences (dev 2000, test 2000, train 16000), 0 mismatches
    sms_spam  5549 sentences (test 1109, train 4440), 0 mismatches
    sst2      9613 sentences (dev 872, test 1821, train 6920), 0 mismatches
    trec6     5952 sentences (test 500, train 5452), 0 mismatches
  The fast tokenizer agreed with the slow one on every single text. On pairs the slow tokenizer
  differed on 11877 of the 48714 at max_length=32 and on 25017 at max_length=8. Those are the
  pairs where the room left for the two texts is odd, the shorter text does not fit in half of
  it, and the second text is at least as long as the first: the slow tokenizer then gives the
  odd token to the first text, the fast one to the second.
  web/tokenizer.js took 0.6 to 1.2 s per setting for the 48714 texts (two runs), and the whole
  script 3.5 minutes, on a 2-core AMD EPYC virtual machine.

Each row's text is encoded in four settings: uncased and cased (do_lower_case=False), with the
default max_length of 512, and uncased as the first text of a pair whose second text is the next
row of the same file, with max_length=32 and max_length=8 so that longest_first truncation runs on
real text. Single texts are compared with the slow Python tokenizer (BertTokenizerLegacy in
transformers 5, BertTokenizer in 4.x), and pairs with the fast one (BertTokenizer in
transformers 5, backed by the Rust `tokenizers` library), because web/tokenizer.js follows the
fast tokenizer's pair truncation. Input ids, token type ids and whether tokens were removed must
all be equal. Each setting also counts, for information only, where the other tokenizer differs
from its reference.

The datasets folder holds one subfolder per dataset with CSV files of `text,label` rows (sst2,
trec6, emotion, sms_spam and ag_news, every split). The script needs transformers and Node 20,
and exits with status 1 on any mismatch.

Usage:
  python tools/reference/check_tokenizer.py [--datasets DIR] [--max-rows N] [--show N]
"""

import argparse
import csv
import json
import pathlib
import subprocess
import sys
import tempfile
import time

from tokenizer_golden import BERT_CONFIGS, BERT_VOCAB, REPO_ROOT, encode, make_fast, make_slow, vocab_folder

DEFAULT_DATASETS = REPO_ROOT.parent / "shared" / "datasets"
NODE_SCRIPT = pathlib.Path(__file__).with_name("check_tokenizer.mjs")
PAIR_MAX_LENGTH = 32
# Room for 5 tokens, so that nearly every pair is cut to 2 + 3 tokens.
PAIR_SHORT_MAX_LENGTH = 8

# (label, tokenizer setting, whether the text is paired with the next row, max_length, reference)
SETTINGS = [
    ("uncased", "uncased", False, 512, "slow"),
    ("cased", "cased", False, 512, "slow"),
    ("uncased pair", "uncased", True, PAIR_MAX_LENGTH, "fast"),
    ("uncased short pair", "uncased", True, PAIR_SHORT_MAX_LENGTH, "fast"),
]


def read_rows(datasets_dir, max_rows):
    """Returns [(dataset/split, row number, text)] from every CSV file, in sorted order."""
    files = sorted(datasets_dir.glob("*/*.csv"))
    if not files:
        raise SystemExit(f"no CSV files found under {datasets_dir}; pass --datasets with the folder that "
                         "holds sst2/, trec6/, emotion/, sms_spam/ and ag_news/")
    rows = []
    for path in files:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if "text" not in (reader.fieldnames or []):
                raise SystemExit(f"{path}: no 'text' column in header {reader.fieldnames}")
            source = f"{path.parent.name}/{path.name}"
            for number, row in enumerate(reader, start=1):
                if max_rows is not None and number > max_rows:
                    break
                rows.append((source, number, row["text"]))
    return rows


def build_items(rows, paired):
    """Returns (text, text_pair) per row; a pair's second text is the next row of the same file."""
    items = []
    for index, (source, _, text) in enumerate(rows):
        if not paired:
            items.append((text, None))
            continue
        following = rows[index + 1] if index + 1 < len(rows) else None
        preceding = rows[index - 1] if index > 0 else None
        if following is not None and following[0] == source:
            pair = following[2]
        elif preceding is not None and preceding[0] == source:
            pair = preceding[2]
        else:
            pair = text
        items.append((text, pair))
    return items


def run_references(items, config, max_length, folder):
    """Returns {"slow": (results, seconds), "fast": (results, seconds)}, encoding one item per call."""
    outputs = {}
    for name, tokenizer in (("slow", make_slow(BERT_VOCAB, config)), ("fast", make_fast(folder, config))):
        started = time.perf_counter()
        results = [encode(tokenizer, text, pair, max_length) for text, pair in items]
        outputs[name] = (results, time.perf_counter() - started)
    return outputs


def run_node(jobs):
    with tempfile.TemporaryDirectory(prefix="adapterkit-check-") as folder:
        jobs_path = pathlib.Path(folder) / "jobs.json"
        results_path = pathlib.Path(folder) / "results.json"
        jobs_path.write_text(json.dumps({"vocabPath": str(BERT_VOCAB), "jobs": jobs}), encoding="utf-8")
        subprocess.run(["node", str(NODE_SCRIPT), str(jobs_path), str(results_path)], check=True)
        return json.loads(results_path.read_text(encoding="utf-8"))["jobs"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=pathlib.Path, default=DEFAULT_DATASETS,
                        help="folder with one subfolder of text,label CSV files per dataset (default: %(default)s)")
    parser.add_argument("--max-rows", type=int, default=None,
                        help="rows to read from each CSV file (default: all)")
    parser.add_argument("--show", type=int, default=10, help="mismatches to print in full (default: %(default)s)")
    args = parser.parse_args()

    rows = read_rows(args.datasets, args.max_rows)
    vocab = BERT_VOCAB.read_text(encoding="utf-8").split("\n")
    jobs = []
    references = []
    with vocab_folder(vocab_path=BERT_VOCAB) as folder:
        for label, config_name, paired, max_length, _ in SETTINGS:
            items = build_items(rows, paired)
            references.append(run_references(items, BERT_CONFIGS[config_name], max_length, folder))
            options = {key: value for key, value in BERT_CONFIGS[config_name].items()}
            jobs.append({"options": options, "maxLength": max_length, "items": items})
    ours = run_node(jobs)

    per_source = {}
    mismatches = []
    for (label, _, _, _, reference_name), job, outputs, result in zip(SETTINGS, jobs, references, ours):
        other_name = "fast" if reference_name == "slow" else "slow"
        expected, reference_seconds = outputs[reference_name]
        other_results, _ = outputs[other_name]
        disagreements = 0
        for (source, number, _), item, reference, other, actual in zip(
            rows, job["items"], expected, other_results, result["results"]
        ):
            counts = per_source.setdefault(source, {"rows": 0, "mismatches": 0})
            if label == SETTINGS[0][0]:
                counts["rows"] += 1
            if other != reference:
                disagreements += 1
            ours_encoded = {"inputIds": actual[0], "tokenTypeIds": actual[1], "truncated": actual[2]}
            if ours_encoded != reference:
                counts["mismatches"] += 1
                mismatches.append((label, reference_name, source, number, item, reference, ours_encoded))
        print(f"{label}: {len(job['items'])} texts, web/tokenizer.js {result['milliseconds']:.0f} ms, "
              f"{reference_name} reference {reference_seconds * 1000:.0f} ms, "
              f"{disagreements} where the {other_name} reference differs from the {reference_name} one")

    for source, counts in per_source.items():
        print(f"  {source}: {counts['rows']} sentences, {counts['mismatches']} mismatches")
    for label, reference_name, source, number, item, reference, ours_encoded in mismatches[: args.show]:
        print(f"\nmismatch: {source} row {number} ({label}): text={item[0]!r} pair={item[1]!r}")
        print(f"  {reference_name} reference: {[vocab[i] for i in reference['inputIds']]} "
              f"types={reference['tokenTypeIds']} truncated={reference['truncated']}")
        print(f"  ours:            {[vocab[i] for i in ours_encoded['inputIds']]} types={ours_encoded['tokenTypeIds']} "
              f"truncated={ours_encoded['truncated']}")
    print(f"{len(rows)} sentences, {len(mismatches)} mismatches "
          f"({len(rows) * len(SETTINGS)} encodings in {len(SETTINGS)} settings)")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
