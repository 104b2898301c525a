#!/usr/bin/env python3
"""Writes wasm_tests/fixtures/tokenizer_hostile.json, the expected output of web/tokenizer.js.

Each case is a text (or a text pair) chosen to break a naive BERT tokenizer: accents, CJK, emoji,
control and zero-width characters, right-to-left text, long words, truncation, lone surrogates,
special tokens written in the text. Every case is encoded with Hugging Face's slow Python BERT
tokenizer and with the fast, Rust-backed one, under several tokenizer settings. The expected
output of a text pair is the fast tokenizer's, because web/tokenizer.js lays out and truncates
pairs as transformers 5's default BertTokenizer (the fast one) does. The expected output of a
single text is the slow tokenizer's unless the case names the fast one. The fixture records
whether the two agree and what the other one returned when they do not.

A pair case also records the fast tokenizer's batch call, tokenizer([text], text_pair=[pair]),
under "batch" when it differs from the single call: transformers 5.25 drops an empty text_pair
only in the single call. "batch" is null where max_length leaves no room for a pair's three
special tokens, which web/tokenizer.js's encodeBatch() rejects.

"pairTruncation" lists the fast tokenizer's longest_first lengths for every pair of word counts
up to PAIR_GRID_MAX_WORDS and every max_length from the smallest that web/tokenizer.js accepts to
the first that removes nothing, with and without special tokens. They come from batch calls on
texts whose words are one token each.

Inputs are stored with JSON \\u escapes (the whole file is ASCII), so lone surrogates survive as
"\\ud800" and the file stays valid UTF-8.

transformers 5.x calls the slow tokenizer BertTokenizerLegacy, and its BertTokenizer and
BertTokenizerFast are both the Rust-backed one. In 4.x, BertTokenizer is the slow one. The fast
tokenizer is loaded with from_pretrained() from a folder holding vocab.txt, because
transformers 5.25's BertTokenizerFast(vocab_file=...) ignores the file and keeps a five-token
vocabulary.

Usage (from the repository root, with transformers and tokenizers installed):
  python tools/reference/tokenizer_golden.py [--out wasm_tests/fixtures/tokenizer_hostile.json]
"""

import argparse
import contextlib
import json
import logging
import os
import pathlib
import platform
import shutil
import sys
import tempfile
import unicodedata

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import tokenizers  # noqa: E402
import transformers  # noqa: E402
from transformers import BertTokenizerFast  # noqa: E402

try:
    from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy as SlowBertTokenizer
except ImportError:  # transformers 4.x
    from transformers import BertTokenizer as SlowBertTokenizer

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "wasm_tests" / "fixtures"
BERT_VOCAB = FIXTURES / "vocab" / "bert-base-uncased-vocab.txt"
DEFAULT_OUT = FIXTURES / "tokenizer_hostile.json"

# Tokenizer settings, keyed by name, in web/tokenizer.js option names.
BERT_CONFIGS = {
    "uncased": {"doLowerCase": True, "stripAccents": None, "tokenizeChineseChars": True},
    "cased": {"doLowerCase": False, "stripAccents": None, "tokenizeChineseChars": True},
    "casedStripAccents": {"doLowerCase": False, "stripAccents": True, "tokenizeChineseChars": True},
    "uncasedKeepAccents": {"doLowerCase": True, "stripAccents": False, "tokenizeChineseChars": True},
    "uncasedNoChineseSplit": {"doLowerCase": True, "stripAccents": None, "tokenizeChineseChars": False},
}

# A small vocabulary for what the BERT vocab cannot show. It has supplementary-plane tokens, so
# that counting a word's length in UTF-16 units instead of code points changes the output, and
# precomposed tokens that only NFC reaches. It also has an empty line in the middle, a duplicated
# token (the later id wins) and a \r\n line end.
TINY_VOCAB_TEXT = (
    "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n\nx\n##y\nx\nhi\r\n##\U0001F600\n\U0001F600\n##x\n"
    "\u00e9\n##\u00e9\n\u4e3d\n\u8c48\n"
)
TINY_CONFIGS = {
    "tinyMaxChars3": {
        "doLowerCase": True,
        "stripAccents": None,
        "tokenizeChineseChars": True,
        "maxInputCharsPerWord": 3,
    },
    "tinyCasedMaxChars3": {
        "doLowerCase": False,
        "stripAccents": None,
        "tokenizeChineseChars": True,
        "maxInputCharsPerWord": 3,
    },
}


def case(name, text, text_pair=None, max_length=512, add_special_tokens=True, reference=None, note=None):
    """Returns one fixture case. The reference defaults to the fast tokenizer for a pair, the slow one otherwise."""
    if reference is None:
        reference = "slow" if text_pair is None else "fast"
    return {
        "name": name,
        "text": text,
        "textPair": text_pair,
        "maxLength": max_length,
        "addSpecialTokens": add_special_tokens,
        "reference": reference,
        "note": note,
    }


LONG_TEXT = (
    "The committee met on Tuesday to review the budget, and after a long debate about schools, roads "
    "and the new library, it approved a plan that raises spending by four percent next year."
)
LONG_TEXT_B = (
    "Critics said the plan ignores rising costs; supporters replied that careful phasing keeps taxes "
    "flat while the town repairs its oldest bridges before winter."
)
SIX_WORDS_A = "one two three four five six seven eight nine ten"
SIX_WORDS_B = "red blue green black white brown pink gray gold silver"
ELEVEN_WORDS_A = SIX_WORDS_A + " eleven"
ELEVEN_WORDS_B = SIX_WORDS_B + " purple"

BERT_CASES = [
    # Accents and case.
    case("latin accents", "Zo\u00eb's caf\u00e9 in Montr\u00e9al served cr\u00e8me br\u00fbl\u00e9e."),
    case("capital accents", "\u00c5NGSTR\u00d6M \u00c6r\u00f8 \u00d8resund \u00c9COLE na\u00efve"),
    case("combining marks", "cafe\u0301 nai\u0308ve e\u0301te\u0301 n\u0303"),
    case("marks only", "\u0301\u0308 x \u0301"),
    case("decomposed long word", "e\u0301" * 60,
         note="120 code points before NFC, 60 after; the length limit applies after normalization"),
    case("fullwidth latin", "\uff21\uff22\uff23 \uff11\uff12\uff13\uff01"),
    case("turkish dotted i", "\u0130stanbul \u0131\u0131 I\u0307"),
    case("greek final sigma", "\u039f\u0394\u039f\u03a3 \u03a3\u0391\u03a3. \u03a3",
         note="the slow tokenizer lower-cases a word-final sigma to U+03C2, the fast one to U+03C3"),
    case("german sharp s", "STRA\u00dfE Ma\u00df \u1e9e"),
    case("latin ligatures", "\ufb01ne \ufb02ow \u0133"),
    case("vietnamese", "Ti\u1ebfng Vi\u1ec7t c\u00f3 d\u1ea5u"),
    # CJK.
    case("chinese", "\u6211\u7231\u5317\u4eac\u5929\u5b89\u95e8\u3002"),
    case("chinese mixed", "BERT\u6a21\u578b\u5f88\u597d\u7528abc123\u4e2d\u6587"),
    case("japanese kana", "\u3053\u3093\u306b\u3061\u306f\u3001\u4e16\u754c\uff01\u30ab\u30bf\u30ab\u30ca \uff76\uff80\uff76\uff85"),
    case("korean hangul", "\uc548\ub155\ud558\uc138\uc694 \uc138\uacc4"),
    case("cjk extension b", "\U00020000\U00020001 \U0002A700x"),
    case("cjk compatibility", "\uf900\ufa0e\U0002F800"),
    case("cjk extension f", "\U0002CEB0\U0002CEB1",
         note="extension F is outside the blocks that BERT splits into single characters"),
    # Emoji.
    case("emoji basic", "I love it \U0001F600\U0001F44D!"),
    case("emoji zwj family", "\U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466 family"),
    case("emoji skin tone", "\U0001F44D\U0001F3FD ok \U0001F44B\U0001F3FF"),
    case("emoji flags", "\U0001F1EB\U0001F1F7\U0001F1EF\U0001F1F5"),
    case("emoji variation selector", "\u2764\ufe0f love \u263a\ufe0e"),
    case("emoji keycap", "1\ufe0f\u20e3 #\ufe0f\u20e3"),
    case("emoji newer than python", "\U0001FAE8 shaking", reference="fast",
         note="U+1FAE8 is in Unicode 15.0; Python 3.11's unicodedata (14.0) sees it as unassigned "
              "and the slow tokenizer removes it, while the fast one and the JavaScript engine "
              "keep it as a symbol"),
    # Control, format and other removed characters.
    case("control chars", "a\x00b\x01c\x07d\x1be\x7ff\x85g"),
    case("tabs newlines", "line1\nline2\r\nline3\tcol\x0bx\x0cy"),
    case("replacement char", "bad\ufffdbyte \ufffd"),
    case("private use", "\ue000abc\U000F0000def"),
    case("unassigned", "a\u0378b"),
    case("zero width space", "zero\u200bwidth space\u200b"),
    case("zwj zwnj", "a\u200db\u200cc"),
    case("byte order mark", "\ufeffhello \ufeff world"),
    case("soft hyphen", "co\u00adoperate"),
    case("special hidden by zwsp", "[CL\u200bS] token",
         note="the slow tokenizer matches [CLS] after removing U+200B; the fast one before"),
    case("line separators", "line\u2028sep\u2029para"),
    case("space separators", "a\u00a0b\u2009c\u202fd\u3000e\u1680f"),
    # Right-to-left text.
    case("arabic", "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645\u061f"),
    case("hebrew points", "\u05e9\u05c1\u05b8\u05dc\u05d5\u05b9\u05dd \u05e2\u05d5\u05dc\u05dd"),
    case("bidi controls", "\u202eevil\u202c \u200fRTL\u200e ok"),
    # Other scripts.
    case("cyrillic greek", "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440 \u0391\u0392\u0393"),
    case("devanagari", "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e"),
    case("thai", "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e04\u0e23\u0e31\u0e1a"),
    case("math alphanumerics", "\U0001D400\U0001D401 \U0001D465"),
    case("mojibake", "cr\u00c3\u00a8me br\u00c3\u00bbl\u00c3\u00a9e"),
    # Long words.
    case("word of 100 chars", "b" * 100),
    case("word of 101 chars", "a" * 101),
    case("word of 101 after split", "a" * 100 + "." + "a" * 100),
    # Truncation.
    case("long text max 16", LONG_TEXT, max_length=16),
    case("long text max 32", LONG_TEXT, max_length=32),
    case("long text fits", LONG_TEXT),
    case("pair equal lengths", SIX_WORDS_A, SIX_WORDS_B, max_length=16,
         note="13 tokens of room for two 10-token texts: the slow tokenizer keeps 7 + 6, the fast one 6 + 7"),
    case("pair equal lengths even", SIX_WORDS_A, SIX_WORDS_B, max_length=15),
    case("pair first longer", LONG_TEXT, "short answer", max_length=32),
    case("pair second longer", "short question?", LONG_TEXT, max_length=16),
    case("pair both long", LONG_TEXT, LONG_TEXT_B, max_length=32),
    case("pair both long second longer", LONG_TEXT_B, LONG_TEXT, max_length=40,
         note="37 tokens of room: the fast tokenizer keeps 18 + 19, the slow one 19 + 18"),
    case("pair first longer odd", ELEVEN_WORDS_A, SIX_WORDS_B, max_length=18,
         note="15 tokens of room for 11 + 10: both tokenizers give the odd token to the longer first text"),
    case("pair second longer odd", SIX_WORDS_A, ELEVEN_WORDS_B, max_length=18,
         note="15 tokens of room for 10 + 11: the fast tokenizer keeps 7 + 8, the slow one 8 + 7"),
    case("pair first within half", "short question?", SIX_WORDS_B, max_length=12,
         note="the 3-token first text fits in half of the 9 tokens of room, so it stays whole"),
    case("pair first exactly half", "short question?", SIX_WORDS_B, max_length=9),
    case("pair room for one", SIX_WORDS_A, SIX_WORDS_B, max_length=4,
         note="one token of room: the slow tokenizer keeps it in the first text, the fast one in the second"),
    case("pair room for one short first", "hello", SIX_WORDS_B, max_length=4,
         note="one token of room for 1 + 10: the fast tokenizer keeps 0 + 1, the slow one 1 + 0"),
    case("pair room for two", SIX_WORDS_A, ELEVEN_WORDS_B, max_length=5),
    case("pair room for none", SIX_WORDS_A, SIX_WORDS_B, max_length=3),
    case("pair no truncation", "How old are you?", "I am six."),
    case("pair empty second", "hello", "",
         note="transformers 5.25's BertTokenizer drops an empty text_pair in a single call (not in a batch); "
              "the slow one keeps its [SEP]"),
    case("pair empty second truncated", "hello world", "", max_length=3,
         note="encoded as a single text, so the one token of room goes to the first text"),
    case("pair empty second max 2", "hello world", "", max_length=2,
         note="a single text fits in 2 tokens; the batch call keeps the pair, which needs at least 3"),
    case("pair both empty", "", ""),
    case("pair empty first", "", SIX_WORDS_B, max_length=8),
    case("pair whitespace second", "hello", " ",
         note="only an empty string is dropped; a second text without tokens still adds its [SEP]"),
    case("pair removed chars second", "hello", "\u200b\x00"),
    case("no special tokens", LONG_TEXT, max_length=8, add_special_tokens=False),
    case("no special tokens pair", SIX_WORDS_A, SIX_WORDS_B, max_length=9, add_special_tokens=False,
         note="without special tokens the fast tokenizer still gives the second text token type 1, "
              "the slow one type 0"),
    case("no special tokens pair fits", "hello world", "a b", add_special_tokens=False),
    case("no special tokens pair room for one", SIX_WORDS_A, SIX_WORDS_B, max_length=1, add_special_tokens=False),
    # Empty input.
    case("empty", ""),
    case("only whitespace", " \t\n\r\u3000\u00a0 "),
    case("only removed chars", "\u200b\u200d\ufeff\x00\ufffd"),
    # Lone surrogates: a Python str can hold them, the Rust tokenizer cannot.
    case("lone high surrogate", "\ud800 x"),
    case("lone low surrogate", "a\udc00b"),
    case("reversed surrogates", "\ude00\ud83d end"),
    case("surrogates around emoji", "\ud83d\U0001F600\udc00"),
    # Numbers, punctuation, URLs.
    case("numbers", "3.14159, 1,000,000 -42 +7 1e-9 50% $19.99 \u00bd \u00b2"),
    case("dates and times", "2024-01-15T10:30:00Z 12/31/1999 9:05pm"),
    case("url", "https://www.example.com/path/to?query=1&b=two#frag"),
    case("email", "user.name+tag@example.co.uk"),
    case("ascii symbols", "a^b`c|d~e$f+g<h=i>j"),
    case("unicode punctuation", "\u00abquote\u00bb \u2014 dash\u2026 \u00bfqu\u00e9? \u00a1s\u00ed!"),
    case("symbols not punctuation", "\u00a9 \u00ae \u2122 \u20ac5 \u00a3100 \u00a5 \u00b0C \u00b1 \u00d7 \u00f7"),
    case("apostrophes", "don't won\u2019t it's"),
    case("hashes", "##abc #hashtag ###"),
    case("repeated punctuation", "!!!???...---"),
    # Special tokens written in the text.
    case("special tokens in text", "[CLS] hello [SEP] world [MASK]."),
    case("special tokens glued", "x[MASK]y[SEP][PAD][UNK]"),
    case("special tokens lowercase", "[cls] [Mask] [UNK"),
    case("special token with accent", "[\u00c7LS] x",
         note="with accents stripped and no lower-casing, the word becomes [CLS] and stays whole"),
]

TINY_CASES = [
    case("tiny duplicate token", "x xy"),
    case("tiny crlf line", "Hi"),
    case("tiny 3 emoji", "\U0001F600\U0001F600\U0001F600",
         note="3 code points but 6 UTF-16 code units: under maxInputCharsPerWord=3"),
    case("tiny 4 emoji", "\U0001F600\U0001F600\U0001F600\U0001F600"),
    case("tiny no match", "xz"),
    case("tiny special", "[MASK]x [CLS]"),
    case("tiny decomposed accents", "e\u0301e\u0301e\u0301 e\u0301",
         note="6 code points before NFC, 3 after: within maxInputCharsPerWord=3 only after NFC. The "
              "slow tokenizer applies NFC and the fast one does not, so they disagree without "
              "lower-casing"),
    case("tiny cjk compatibility", "\U0002F800\uf900",
         note="NFC maps U+2F800 to U+4E3D and U+F900 to U+8C48. The fast tokenizer applies no NFC, "
              "so only NFD (accent stripping) reaches these tokens there"),
]


# The pairTruncation grid: word counts 0..PAIR_GRID_MAX_WORDS for each text, and every budget
# (max_length without the special tokens) from 0 up to the point where nothing is removed.
PAIR_GRID_MAX_WORDS = 10
PAIR_GRID_FIRST_WORDS = SIX_WORDS_A.split()[:PAIR_GRID_MAX_WORDS]
PAIR_GRID_SECOND_WORDS = SIX_WORDS_B.split()[:PAIR_GRID_MAX_WORDS]


def make_slow(vocab_path, config):
    tokenizer = SlowBertTokenizer(
        vocab_file=str(vocab_path),
        do_lower_case=config["doLowerCase"],
        strip_accents=config["stripAccents"],
        tokenize_chinese_chars=config["tokenizeChineseChars"],
    )
    if "maxInputCharsPerWord" in config:
        tokenizer.wordpiece_tokenizer.max_input_chars_per_word = config["maxInputCharsPerWord"]
    return tokenizer


def make_fast(vocab_dir, config):
    tokenizer = BertTokenizerFast.from_pretrained(
        str(vocab_dir),
        do_lower_case=config["doLowerCase"],
        strip_accents=config["stripAccents"],
        tokenize_chinese_chars=config["tokenizeChineseChars"],
    )
    if "maxInputCharsPerWord" in config:
        tokenizer._tokenizer.model.max_input_chars_per_word = config["maxInputCharsPerWord"]
    return tokenizer


@contextlib.contextmanager
def vocab_folder(vocab_text=None, vocab_path=None):
    """Yields a temporary folder holding vocab.txt, which is what from_pretrained() reads."""
    with tempfile.TemporaryDirectory(prefix="adapterkit-vocab-") as folder:
        target = pathlib.Path(folder) / "vocab.txt"
        if vocab_path is not None:
            shutil.copyfile(vocab_path, target)
        else:
            target.write_bytes(vocab_text.encode("utf-8"))
        yield pathlib.Path(folder)


def encode(tokenizer, text, text_pair=None, max_length=512, add_special_tokens=True, batch=False):
    """Returns what web/tokenizer.js's encode() returns, from a Hugging Face tokenizer.

    With batch=True, the tokenizer gets one-item lists, as encodeBatch() models.
    """
    if batch:
        text = [text]
        text_pair = None if text_pair is None else [text_pair]
    pair_args = () if text_pair is None else (text_pair,)
    full = tokenizer(text, *pair_args, add_special_tokens=add_special_tokens, return_token_type_ids=True)
    if max_length is None:
        encoded = full
    else:
        encoded = tokenizer(
            text,
            *pair_args,
            add_special_tokens=add_special_tokens,
            return_token_type_ids=True,
            truncation="longest_first",
            max_length=max_length,
        )
    input_ids = encoded["input_ids"]
    token_type_ids = encoded["token_type_ids"]
    full_ids = full["input_ids"]
    if batch:
        input_ids, token_type_ids, full_ids = input_ids[0], token_type_ids[0], full_ids[0]
    return {
        "inputIds": list(input_ids),
        "tokenTypeIds": list(token_type_ids),
        "truncated": len(full_ids) > len(input_ids),
    }


def run_case(tokenizer, item):
    """Returns encode() and tokenize() results, or {"error": ...} when the tokenizer rejects the input."""
    try:
        args = (item["text"], item["textPair"], item["maxLength"], item["addSpecialTokens"])
        result = encode(tokenizer, *args)
        if item["textPair"] is not None:
            pair_special_count = 3 if item["addSpecialTokens"] else 0
            if item["maxLength"] is not None and item["maxLength"] < pair_special_count:
                result["batch"] = None
            else:
                batch_result = encode(tokenizer, *args, batch=True)
                if batch_result != result:
                    result["batch"] = batch_result
        result["tokens"] = tokenizer.tokenize(item["text"])
        if item["textPair"] is not None:
            result["pairTokens"] = tokenizer.tokenize(item["textPair"])
        return result
    except (TypeError, ValueError) as error:
        return {"error": f"{type(error).__name__}: {error}"}


def build_expectations(cases, configs, vocab_path, vocab_dir):
    disagreements = []
    for name, config in configs.items():
        slow = make_slow(vocab_path, config)
        fast = make_fast(vocab_dir, config)
        for item in cases:
            slow_result = run_case(slow, item)
            fast_result = run_case(fast, item)
            agree = slow_result == fast_result
            expected = slow_result if item["reference"] == "slow" else fast_result
            if "error" in expected:
                raise SystemExit(f"case '{item['name']}' ({name}): the {item['reference']} reference failed: "
                                 f"{expected['error']}")
            entry = dict(expected)
            entry["slowFastAgree"] = agree
            if not agree:
                other = fast_result if item["reference"] == "slow" else slow_result
                entry["otherReference"] = other
                disagreements.append((item["name"], name))
            item.setdefault("expected", {})[name] = entry
    return disagreements


def pair_layout(first_ids, second_ids, add_special_tokens, cls_id, sep_id):
    """Returns (input_ids, token_type_ids) of a pair as the fast tokenizer lays it out."""
    if add_special_tokens:
        first_part = [cls_id, *first_ids, sep_id]
        second_part = [*second_ids, sep_id]
    else:
        first_part = list(first_ids)
        second_part = list(second_ids)
    return first_part + second_part, [0] * len(first_part) + [1] * len(second_part)


def build_pair_truncation(tokenizer):
    """Returns the fast tokenizer's longest_first lengths over the pair grid, one table per max_length.

    In each table, keptLengths[n1][n2] is [tokens kept from the first text, from the second] for
    texts of n1 and n2 words. Batch calls keep an empty second text as a pair, so n2 = 0 is a pair
    too.
    """
    words = PAIR_GRID_FIRST_WORDS + PAIR_GRID_SECOND_WORDS
    ids = tokenizer.convert_tokens_to_ids(words)
    for word in words:
        if tokenizer.tokenize(word) != [word]:
            raise SystemExit(f"pair grid word {word!r} is not one token in the vocab")
    first_ids = ids[:PAIR_GRID_MAX_WORDS]
    second_ids = ids[PAIR_GRID_MAX_WORDS:]
    counts = range(PAIR_GRID_MAX_WORDS + 1)
    firsts = [" ".join(PAIR_GRID_FIRST_WORDS[:n1]) for n1 in counts for _ in counts]
    seconds = [" ".join(PAIR_GRID_SECOND_WORDS[:n2]) for _ in counts for n2 in counts]

    tables = []
    for add_special_tokens in (True, False):
        special_count = 3 if add_special_tokens else 0
        # web/tokenizer.js requires max_length >= 1, so a budget of 0 needs special tokens.
        first_budget = 0 if add_special_tokens else 1
        for budget in range(first_budget, 2 * PAIR_GRID_MAX_WORDS + 1):
            max_length = budget + special_count
            encoded = tokenizer(firsts, seconds, add_special_tokens=add_special_tokens, return_token_type_ids=True,
                                truncation="longest_first", max_length=max_length)
            kept_lengths = []
            for index, (input_ids, token_type_ids) in enumerate(zip(encoded["input_ids"], encoded["token_type_ids"])):
                n1, n2 = divmod(index, PAIR_GRID_MAX_WORDS + 1)
                first_kept = sum(1 for token_id in input_ids if token_id in first_ids)
                second_kept = sum(1 for token_id in input_ids if token_id in second_ids)
                expected = pair_layout(first_ids[:first_kept], second_ids[:second_kept], add_special_tokens,
                                       tokenizer.cls_token_id, tokenizer.sep_token_id)
                if (list(input_ids), list(token_type_ids)) != expected:
                    raise SystemExit(f"pair grid {n1} + {n2} words, max_length={max_length}: unexpected layout "
                                     f"{input_ids} {token_type_ids}")
                if n2 == 0:
                    kept_lengths.append([])
                kept_lengths[n1].append([first_kept, second_kept])
            tables.append({"addSpecialTokens": add_special_tokens, "maxLength": max_length,
                           "keptLengths": kept_lengths})
    return {"firstWords": PAIR_GRID_FIRST_WORDS, "secondWords": PAIR_GRID_SECOND_WORDS, "tables": tables}


def format_fixture(fixture):
    """Formats the fixture with one line per config result, so that diffs stay readable."""
    head = {key: value for key, value in fixture.items() if key not in ("bertCases", "tinyCases", "pairTruncation")}
    lines = ["{"]
    for key, value in head.items():
        lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=True)},")
    for section in ("bertCases", "tinyCases"):
        lines.append(f"  {json.dumps(section)}: [")
        items = fixture[section]
        for index, item in enumerate(items):
            lines.append("    {")
            fields = [(key, value) for key, value in item.items() if key != "expected"]
            for key, value in fields:
                lines.append(f"      {json.dumps(key)}: {json.dumps(value, ensure_ascii=True)},")
            lines.append('      "expected": {')
            expected = list(item["expected"].items())
            for config_index, (config_name, entry) in enumerate(expected):
                comma = "," if config_index + 1 < len(expected) else ""
                lines.append(f"        {json.dumps(config_name)}: {json.dumps(entry, ensure_ascii=True)}{comma}")
            lines.append("      }")
            lines.append("    }" + ("," if index + 1 < len(items) else ""))
        lines.append("  ],")

    lines += format_pair_truncation(fixture["pairTruncation"])
    lines.append("}")
    return "\n".join(lines) + "\n"


def format_pair_truncation(grid):
    """Returns the lines of the pairTruncation entry, one line per table."""
    lines = ['  "pairTruncation": {',
             f'    "firstWords": {json.dumps(grid["firstWords"])},',
             f'    "secondWords": {json.dumps(grid["secondWords"])},',
             '    "tables": [']
    for index, table in enumerate(grid["tables"]):
        comma = "," if index + 1 < len(grid["tables"]) else ""
        lines.append(f"      {json.dumps(table)}{comma}")
    lines += ["    ]", "  }"]
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT,
                        help="fixture to write (default: %(default)s)")
    args = parser.parse_args()
    logging.getLogger("transformers").setLevel(logging.ERROR)

    names = [item["name"] for item in BERT_CASES + TINY_CASES]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise SystemExit(f"duplicate case names: {', '.join(duplicates)}")

    with vocab_folder(vocab_path=BERT_VOCAB) as folder:
        bert_disagreements = build_expectations(BERT_CASES, BERT_CONFIGS, BERT_VOCAB, folder)
        pair_truncation = build_pair_truncation(make_fast(folder, BERT_CONFIGS["uncased"]))
    with vocab_folder(vocab_text=TINY_VOCAB_TEXT) as folder:
        tiny_disagreements = build_expectations(TINY_CASES, TINY_CONFIGS, folder / "vocab.txt", folder)

    fixture = {
        "description": (
            "Hostile inputs for web/tokenizer.js and their expected output, written by "
            "tools/reference/tokenizer_golden.py from Hugging Face's BERT tokenizers. 'expected' holds, per "
            "tokenizer setting, the output of the reference named in the case (slow: the Python "
            "BertTokenizer, called BertTokenizerLegacy in transformers 5; fast: the Rust-backed BertTokenizer "
            "of transformers 5, also called BertTokenizerFast), whether the two references agree, and the "
            "other reference's output when they do not. Text pairs follow the fast reference; 'batch' is its "
            "output for a one-item batch where that differs, or null where encodeBatch() must reject the "
            "max length. 'pairTruncation' holds the fast reference's longest_first lengths: keptLengths[n1][n2] "
            "is [tokens kept from the first text, from the second] when the first text is the first n1 "
            "firstWords and the second the first n2 secondWords, joined with spaces."
        ),
        "versions": {
            "python": platform.python_version(),
            "unicodedata": unicodedata.unidata_version,
            "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__,
            "slowTokenizer": SlowBertTokenizer.__name__,
        },
        "bertVocab": "vocab/bert-base-uncased-vocab.txt",
        "bertConfigs": BERT_CONFIGS,
        "tinyVocabText": TINY_VOCAB_TEXT,
        "tinyConfigs": TINY_CONFIGS,
        "bertCases": BERT_CASES,
        "tinyCases": TINY_CASES,
        "pairTruncation": pair_truncation,
    }
    args.out.write_text(format_fixture(fixture), encoding="ascii")

    total = len(BERT_CASES) * len(BERT_CONFIGS) + len(TINY_CASES) * len(TINY_CONFIGS)
    disagreements = bert_disagreements + tiny_disagreements
    grid_size = sum(len(row) for table in pair_truncation["tables"] for row in table["keptLengths"])
    print(f"wrote {args.out}: {len(BERT_CASES)} + {len(TINY_CASES)} cases, {total} results, "
          f"{len(disagreements)} where the slow and fast tokenizers disagree; "
          f"{grid_size} pair truncations in {len(pair_truncation['tables'])} tables")
    for case_name, config_name in disagreements:
        print(f"  disagree: {case_name} ({config_name})")


if __name__ == "__main__":
    sys.exit(main())
