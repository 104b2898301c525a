// BERT WordPiece tokenizer with no dependencies. It splits each text into the tokens of Hugging
// Face's slow Python BERT tokenizer (transformers 5.x `BertTokenizerLegacy`, called
// `BertTokenizer` in transformers 4.x) for a vocab.txt. Text pairs follow transformers 5's
// default `BertTokenizer` instead, which is the fast one backed by the Rust `tokenizers` library:
// encode() lays out and truncates a pair as it does in transformers 5.25.0 with tokenizers 0.23.3.
// wasm_tests/fixtures/tokenizer_hostile.json lists inputs where the two references differ and
// which one each case follows, and tools/reference/check_tokenizer.py compares this tokenizer with
// them on real text.
//
// Pipeline for one text:
//   1. split out the special tokens ([CLS], [SEP], [UNK], [PAD], [MASK]) written in the raw text;
//   2. in each remaining segment: remove control characters, map whitespace to a space, put
//      spaces around CJK ideographs, apply NFC, and split on spaces;
//   3. in each word: lower-case, strip accents (NFD, then drop category Mn), split on punctuation;
//   4. greedy longest-match-first WordPiece with the `##` continuation prefix.
//
// Strings are read by code point. A well-formed surrogate pair is one code point. An unpaired
// surrogate code unit is read as the lone surrogate code point that a Python str can hold
// ("\ud800"): its category is Cs, so step 2 removes it, as the slow reference does. (The fast
// reference rejects such a Python str with a TypeError.)
//
// Character classes come from the JavaScript engine's Unicode tables (\p{...} in regular
// expressions, String.prototype.normalize and toLowerCase).
// NOTE: the engine's Unicode version (17.0 in Node 20.20.2) is newer than Python 3.11's
// unicodedata (14.0), which treats the characters assigned since then as unassigned (Cn), so the
// slow reference removes them in step 2. This tokenizer classifies them by their assigned
// category, so a new symbol such as U+1FAE8 stays in the text, as in the fast reference. Among
// the characters assigned in 14.0, only U+0295 (Ll to Lo) and U+1171E (Mn to Mc, so its accent is
// no longer stripped) changed category.

import { AdapterkitError, ErrorCode } from './errors.js';

const CONTINUATION_PREFIX = '##';
const UNK_TOKEN = '[UNK]';
const REQUIRED_SPECIAL_TOKENS = ['[CLS]', '[SEP]', '[UNK]', '[PAD]'];
// Written in the text, these stay one token. [MASK] is optional in the vocab.
const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

// Bit flags per code point, for steps 2 and 3 of the pipeline.
const CHAR_REMOVED = 1;
const CHAR_WHITESPACE = 2;
const CHAR_PUNCTUATION = 4;
const CHAR_CJK = 8;
const CHAR_NONSPACING_MARK = 16;

const OTHER_CATEGORY = /^\p{C}$/u;
const SPACE_SEPARATOR = /^\p{Zs}$/u;
const PUNCTUATION_CATEGORY = /^\p{P}$/u;
const NONSPACING_MARK = /^\p{Mn}$/u;
const NON_ASCII = /[^\u0000-\u007f]/;

/**
 * Returns the CHAR_* flags of one code point under BERT's rules.
 * @param {number} codePoint 0..0x10FFFF, lone surrogates included
 * @returns {number}
 */
function computeCharFlags(codePoint) {
  const char = String.fromCodePoint(codePoint);
  let flags = 0;

  // Tab, newline and carriage return are category Cc but count as whitespace. U+2028 and U+2029
  // (Zl, Zp) survive the slow reference's cleaning step, but its str.split() then splits on them,
  // so mapping them to a space here gives the same words.
  if (
    codePoint === 0x20 ||
    codePoint === 0x09 ||
    codePoint === 0x0a ||
    codePoint === 0x0d ||
    codePoint === 0x2028 ||
    codePoint === 0x2029 ||
    SPACE_SEPARATOR.test(char)
  ) {
    flags |= CHAR_WHITESPACE;
  } else if (codePoint === 0 || codePoint === 0xfffd || OTHER_CATEGORY.test(char)) {
    flags |= CHAR_REMOVED;
  }

  // Every non-alphanumeric printable ASCII character counts as punctuation, including symbols
  // such as $, +, ^ and ` that Unicode puts in the S* categories.
  if (
    (codePoint >= 33 && codePoint <= 47) ||
    (codePoint >= 58 && codePoint <= 64) ||
    (codePoint >= 91 && codePoint <= 96) ||
    (codePoint >= 123 && codePoint <= 126) ||
    PUNCTUATION_CATEGORY.test(char)
  ) {
    flags |= CHAR_PUNCTUATION;
  }

  if (isCjkIdeograph(codePoint)) flags |= CHAR_CJK;
  if (NONSPACING_MARK.test(char)) flags |= CHAR_NONSPACING_MARK;
  return flags;
}

/**
 * Tells whether a code point is in one of the CJK Unified Ideographs blocks that BERT splits into
 * single-character words. Hangul, kana and the CJK extensions after F are not in the list.
 * @param {number} codePoint
 * @returns {boolean}
 */
function isCjkIdeograph(codePoint) {
  return (
    (codePoint >= 0x4e00 && codePoint <= 0x9fff) ||
    (codePoint >= 0x3400 && codePoint <= 0x4dbf) ||
    (codePoint >= 0x20000 && codePoint <= 0x2a6df) ||
    (codePoint >= 0x2a700 && codePoint <= 0x2b73f) ||
    (codePoint >= 0x2b740 && codePoint <= 0x2b81f) ||
    (codePoint >= 0x2b820 && codePoint <= 0x2ceaf) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
    (codePoint >= 0x2f800 && codePoint <= 0x2fa1f)
  );
}

// Flags of the 65,536 BMP code points (about 10 ms to fill, so it is filled on first use), and a
// cache for the supplementary planes, which few texts use.
let bmpCharFlags = null;
const supplementaryCharFlags = new Map();

function getBmpCharFlags() {
  if (bmpCharFlags === null) {
    const table = new Uint8Array(0x10000);
    for (let codePoint = 0; codePoint < 0x10000; codePoint++) {
      table[codePoint] = computeCharFlags(codePoint);
    }
    bmpCharFlags = table;
  }
  return bmpCharFlags;
}

function charFlags(codePoint) {
  if (codePoint < 0x10000) return bmpCharFlags[codePoint];
  let flags = supplementaryCharFlags.get(codePoint);
  if (flags === undefined) {
    flags = computeCharFlags(codePoint);
    supplementaryCharFlags.set(codePoint, flags);
  }
  return flags;
}

/**
 * Removes control characters, U+0000 and U+FFFD, maps whitespace to ' ' and, when splitCjk is set,
 * puts a space on each side of every CJK ideograph.
 * @param {string} text
 * @param {boolean} splitCjk
 * @returns {{ text: string, hasCombiningRange: boolean }} hasCombiningRange is false when every
 *   kept code point is below U+0300, where NFC cannot change the text.
 */
function cleanText(text, splitCjk) {
  let output = '';
  let runStart = 0;
  let hasCombiningRange = false;
  for (let index = 0; index < text.length; ) {
    const codePoint = text.codePointAt(index);
    const width = codePoint > 0xffff ? 2 : 1;
    const flags = charFlags(codePoint);

    let replacement = null;
    if (flags & CHAR_REMOVED) {
      replacement = '';
    } else if (flags & CHAR_WHITESPACE) {
      if (codePoint !== 0x20) replacement = ' ';
    } else {
      if (codePoint >= 0x300) hasCombiningRange = true;
      if (splitCjk && flags & CHAR_CJK) replacement = ` ${text.slice(index, index + width)} `;
    }

    if (replacement !== null) {
      output += text.slice(runStart, index) + replacement;
      runStart = index + width;
    }
    index += width;
  }
  if (runStart === 0) return { text, hasCombiningRange };
  return { text: output + text.slice(runStart), hasCombiningRange };
}

/**
 * Applies NFD and drops every nonspacing mark (category Mn).
 * @param {string} word
 * @returns {string}
 */
function stripAccents(word) {
  const decomposed = word.normalize('NFD');
  let output = '';
  let runStart = 0;
  for (let index = 0; index < decomposed.length; ) {
    const codePoint = decomposed.codePointAt(index);
    const width = codePoint > 0xffff ? 2 : 1;
    if (charFlags(codePoint) & CHAR_NONSPACING_MARK) {
      output += decomposed.slice(runStart, index);
      runStart = index + width;
    }
    index += width;
  }
  if (runStart === 0) return decomposed;
  return output + decomposed.slice(runStart);
}

/**
 * Appends the pieces of a word split on punctuation to `words`: each punctuation character becomes
 * a word of its own, and each run of other characters another.
 * @param {string} word non-empty, without whitespace
 * @param {string[]} words
 */
function splitOnPunctuation(word, words) {
  let runStart = 0;
  for (let index = 0; index < word.length; ) {
    const codePoint = word.codePointAt(index);
    const width = codePoint > 0xffff ? 2 : 1;
    if (charFlags(codePoint) & CHAR_PUNCTUATION) {
      if (index > runStart) words.push(word.slice(runStart, index));
      words.push(word.slice(index, index + width));
      runStart = index + width;
    }
    index += width;
  }
  if (runStart < word.length) words.push(word.slice(runStart));
}

function describeType(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function invalidArgument(message) {
  return new AdapterkitError(ErrorCode.INVALID_ARGUMENT, message);
}

function requireString(value, name) {
  if (typeof value !== 'string') {
    throw invalidArgument(`${name} must be a string, got ${describeType(value)}`);
  }
}

function requireKnownOptions(options, allowed, where) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArgument(`${where} options must be an object, got ${describeType(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw invalidArgument(
        `${where} has no option '${key}'; the options are ${allowed.join(', ')}`,
      );
    }
  }
}

/**
 * Splits the text of a vocab.txt into tokens, one per line, the id being the line index.
 * Line ends are \n, \r\n or a lone \r (Python's universal newlines, which the slow reference reads
 * with). Empty lines at the end of the file are dropped, and an empty line before the last token
 * is kept as the token '' so that later ids do not shift. A leading byte order mark is dropped.
 * @param {string} text
 * @returns {string[]}
 */
function splitVocabLines(text) {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.split(/\r\n|\n|\r/);
  let length = lines.length;
  while (length > 0 && lines[length - 1] === '') length--;
  lines.length = length;
  return lines;
}

const VOCAB_OPTIONS = [
  'doLowerCase',
  'stripAccents',
  'tokenizeChineseChars',
  'maxInputCharsPerWord',
  'fileName',
];
const ENCODE_OPTIONS = ['maxLength', 'addSpecialTokens'];

/**
 * BERT WordPiece tokenizer. Create one with WordPieceTokenizer.fromVocabText(), or with the
 * constructor from a list of tokens.
 */
export class WordPieceTokenizer {
  /**
   * Creates a tokenizer from the text of a vocab.txt.
   *
   * @param {string} text the whole file, one token per line, the id being the line index. Line
   *   ends may be \n, \r\n or \r. Empty lines at the end are ignored. An empty line before the
   *   last token is the token '', so the ids after it stay in place, as in Hugging Face's loader.
   *   A leading byte order mark is ignored.
   * @param {object} [options] as for the constructor
   * @returns {WordPieceTokenizer}
   * @throws {AdapterkitError} INVALID_ARGUMENT when text is not a string or an option is invalid;
   *   INVALID_FILE when the vocab is empty or lacks [CLS], [SEP], [UNK] or [PAD].
   */
  static fromVocabText(text, options = {}) {
    requireString(text, 'WordPieceTokenizer.fromVocabText: vocab text');
    return new WordPieceTokenizer(splitVocabLines(text), options);
  }

  /**
   * @param {string[]} tokens the vocabulary, token i having id i. When a token appears twice,
   *   text maps to its later id, as Hugging Face's dict does. Both ids stay valid for
   *   convertIdsToTokens.
   * @param {object} [options]
   * @param {boolean} [options.doLowerCase=true] lower-case the text (String.prototype.toLowerCase,
   *   word by word) before WordPiece. Use false for cased vocabularies.
   * @param {boolean|null} [options.stripAccents=null] apply NFD and remove nonspacing marks
   *   (category Mn). null follows doLowerCase, as Hugging Face's strip_accents=None does.
   * @param {boolean} [options.tokenizeChineseChars=true] make each CJK ideograph a word of its
   *   own.
   * @param {number} [options.maxInputCharsPerWord=100] a word longer than this many code points
   *   becomes [UNK] without being split. A positive integer.
   * @param {string} [options.fileName='vocab.txt'] name of the vocab file in error messages.
   * @throws {AdapterkitError} INVALID_ARGUMENT when tokens is not an array of strings or an option
   *   is invalid; INVALID_FILE when tokens is empty or lacks [CLS], [SEP], [UNK] or [PAD].
   */
  constructor(tokens, options = {}) {
    requireKnownOptions(options, VOCAB_OPTIONS, 'WordPieceTokenizer');
    const {
      doLowerCase = true,
      stripAccents = null,
      tokenizeChineseChars = true,
      maxInputCharsPerWord = 100,
      fileName = 'vocab.txt',
    } = options;
    if (typeof fileName !== 'string') {
      throw invalidArgument(`WordPieceTokenizer: fileName must be a string, got ${describeType(fileName)}`);
    }
    if (typeof doLowerCase !== 'boolean') {
      throw invalidArgument(`WordPieceTokenizer: doLowerCase must be true or false, got ${String(doLowerCase)}`);
    }
    if (stripAccents !== null && typeof stripAccents !== 'boolean') {
      throw invalidArgument(
        `WordPieceTokenizer: stripAccents must be true, false or null, got ${String(stripAccents)}`,
      );
    }
    if (typeof tokenizeChineseChars !== 'boolean') {
      throw invalidArgument(
        `WordPieceTokenizer: tokenizeChineseChars must be true or false, got ${String(tokenizeChineseChars)}`,
      );
    }
    if (!Number.isSafeInteger(maxInputCharsPerWord) || maxInputCharsPerWord < 1) {
      throw invalidArgument(
        `WordPieceTokenizer: maxInputCharsPerWord must be a positive integer, got ${String(maxInputCharsPerWord)}`,
      );
    }
    if (!Array.isArray(tokens)) {
      throw invalidArgument(`WordPieceTokenizer: tokens must be an array of strings, got ${describeType(tokens)}`);
    }

    this._doLowerCase = doLowerCase;
    this._stripAccents = stripAccents === null ? doLowerCase : stripAccents;
    this._tokenizeChineseChars = tokenizeChineseChars;
    this._maxInputCharsPerWord = maxInputCharsPerWord;
    this._idToToken = tokens.slice();
    this._tokenToId = new Map();
    // Maximum token length in UTF-16 code units, over all tokens and over ## continuations
    // without the prefix. WordPiece skips the lookup of any longer piece.
    this._maxWordStartUnits = 0;
    this._maxContinuationUnits = 0;
    for (let id = 0; id < tokens.length; id++) {
      const token = tokens[id];
      if (typeof token !== 'string') {
        throw invalidArgument(`WordPieceTokenizer: tokens[${id}] must be a string, got ${describeType(token)}`);
      }
      this._tokenToId.set(token, id);
      if (token.startsWith(CONTINUATION_PREFIX)) {
        const units = token.length - CONTINUATION_PREFIX.length;
        if (units > this._maxContinuationUnits) this._maxContinuationUnits = units;
      }
      if (token.length > this._maxWordStartUnits) this._maxWordStartUnits = token.length;
    }

    if (tokens.length === 0) {
      throw new AdapterkitError(
        ErrorCode.INVALID_FILE,
        `${fileName}: the vocabulary is empty; expected one WordPiece token per line, ` +
          `including ${REQUIRED_SPECIAL_TOKENS.join(', ')}`,
      );
    }
    const missing = REQUIRED_SPECIAL_TOKENS.filter((token) => !this._tokenToId.has(token));
    if (missing.length > 0) {
      throw new AdapterkitError(
        ErrorCode.INVALID_FILE,
        `${fileName}: missing special token${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ` +
          `in a vocabulary of ${tokens.length} tokens; a BERT vocab.txt needs ` +
          `${REQUIRED_SPECIAL_TOKENS.join(', ')}, each on a line of its own`,
      );
    }

    this._specialTokens = new Set(SPECIAL_TOKENS.filter((token) => this._tokenToId.has(token)));
    this._clsId = this._tokenToId.get('[CLS]');
    this._sepId = this._tokenToId.get('[SEP]');
    this._padId = this._tokenToId.get('[PAD]');
    this._unkId = this._tokenToId.get(UNK_TOKEN);
    getBmpCharFlags();
  }

  /** Id of [CLS]. @type {number} */
  get clsId() {
    return this._clsId;
  }

  /** Id of [SEP]. @type {number} */
  get sepId() {
    return this._sepId;
  }

  /** Id of [PAD]. @type {number} */
  get padId() {
    return this._padId;
  }

  /** Id of [UNK]. @type {number} */
  get unkId() {
    return this._unkId;
  }

  /**
   * Number of ids, which is the number of vocab lines without the empty lines at the end. A
   * duplicated token counts once per line, unlike Hugging Face's vocab_size, so this is the row
   * count that the model's word embedding needs.
   * @type {number}
   */
  get vocabSize() {
    return this._idToToken.length;
  }

  /**
   * Splits a text into WordPiece tokens, without special tokens and without truncation.
   * @param {string} text
   * @returns {string[]} tokens from the vocab, [UNK] for words that WordPiece cannot split
   * @throws {AdapterkitError} INVALID_ARGUMENT when text is not a string
   */
  tokenize(text) {
    requireString(text, 'tokenize: text');
    return this._textToIds(text).map((id) => this._idToToken[id]);
  }

  /**
   * Encodes a text, or a pair of texts, as BERT model inputs.
   *
   * With special tokens the layout is `[CLS] a [SEP]`, or `[CLS] a [SEP] b [SEP]` with token type
   * 0 up to and including the first [SEP] and 1 after it. Without them, it is `a` or `a b`, and b
   * has token type 1 (the slow Hugging Face tokenizer gives b type 0 there). Truncation drops
   * tokens from the end of a single text. A pair is truncated with the longest_first rule of
   * transformers 5's default BertTokenizer, which differs from the slow tokenizer's when b is at
   * least as long as a (see longestFirstLengths).
   *
   * @param {string} text first sequence
   * @param {string|null} [textPair=null] second sequence, or null for a single sequence. An empty
   *   string also gives a single sequence, because transformers 5.25's BertTokenizer ignores an
   *   empty text_pair when it encodes one text (the slow tokenizer returns `[CLS] a [SEP] [SEP]`).
   *   encodeBatch() keeps it as a pair, as that tokenizer's batch call does.
   * @param {object} [options]
   * @param {number|null} [options.maxLength=512] maximum total length in tokens, special tokens
   *   included; null disables truncation. An integer, at least 1 and at least the number of special
   *   tokens (2 for a single text, 3 for a pair).
   * @param {boolean} [options.addSpecialTokens=true] add [CLS] and [SEP].
   * @returns {{ inputIds: Int32Array, tokenTypeIds: Int32Array, truncated: boolean }} new arrays
   *   owned by the caller, of the same length; truncated is true when tokens were removed.
   * @throws {AdapterkitError} INVALID_ARGUMENT when a text is not a string or an option is
   *   invalid
   */
  encode(text, textPair = null, options = {}) {
    return this._encodeChecked(text, textPair, options, 'encode: text', 'encode: textPair', true);
  }

  /**
   * Encodes several texts, or text pairs, one by one as encode() does, except that an empty second
   * text gives the pair `[CLS] a [SEP] [SEP]`: transformers 5.25's BertTokenizer keeps an empty
   * text_pair in a batch but drops it when it encodes one text. The results are not padded.
   * @param {string[]} texts
   * @param {Array<string|null>|null} [pairs=null] second sequences, one per text (null for none).
   * @param {object} [options] as for encode()
   * @returns {Array<{ inputIds: Int32Array, tokenTypeIds: Int32Array, truncated: boolean }>}
   * @throws {AdapterkitError} INVALID_ARGUMENT when texts or pairs is not an array, their lengths
   *   differ, an item is not a string, or an option is invalid
   */
  encodeBatch(texts, pairs = null, options = {}) {
    if (!Array.isArray(texts)) {
      throw invalidArgument(`encodeBatch: texts must be an array of strings, got ${describeType(texts)}`);
    }
    if (pairs !== null && !Array.isArray(pairs)) {
      throw invalidArgument(`encodeBatch: pairs must be an array or null, got ${describeType(pairs)}`);
    }
    if (pairs !== null && pairs.length !== texts.length) {
      throw invalidArgument(
        `encodeBatch: pairs has ${pairs.length} items but texts has ${texts.length}; expected one pair per text`,
      );
    }
    return texts.map((text, index) =>
      this._encodeChecked(
        text,
        pairs === null ? null : pairs[index],
        options,
        `encodeBatch: texts[${index}]`,
        `encodeBatch: pairs[${index}]`,
        false,
      ),
    );
  }

  /**
   * Maps tokens to ids, with the id of [UNK] for a token not in the vocab.
   * @param {string|string[]} tokens one token or an array of them
   * @returns {number|number[]} one id for one token, an array for an array
   * @throws {AdapterkitError} INVALID_ARGUMENT when a token is not a string
   */
  convertTokensToIds(tokens) {
    if (typeof tokens === 'string') return this._tokenToId.get(tokens) ?? this._unkId;
    if (!Array.isArray(tokens)) {
      throw invalidArgument(
        `convertTokensToIds: tokens must be a string or an array of strings, got ${describeType(tokens)}`,
      );
    }
    return tokens.map((token, index) => {
      requireString(token, `convertTokensToIds: tokens[${index}]`);
      return this._tokenToId.get(token) ?? this._unkId;
    });
  }

  /**
   * Maps ids to their tokens.
   * @param {number|ArrayLike<number>} ids one id or an array or typed array of them
   * @returns {string|string[]} one token for one id, an array otherwise
   * @throws {AdapterkitError} INVALID_ARGUMENT when an id is not an integer in [0, vocabSize)
   */
  convertIdsToTokens(ids) {
    if (typeof ids === 'number') return this._idToToken[this._checkId(ids, 'convertIdsToTokens: id')];
    if (!Array.isArray(ids) && !ArrayBuffer.isView(ids)) {
      throw invalidArgument(
        `convertIdsToTokens: ids must be a number, an array or a typed array, got ${describeType(ids)}`,
      );
    }
    return Array.from(ids, (id, index) => this._idToToken[this._checkId(id, `convertIdsToTokens: ids[${index}]`)]);
  }

  _checkId(id, name) {
    if (!Number.isInteger(id) || id < 0 || id >= this._idToToken.length) {
      throw invalidArgument(`${name} is ${String(id)}, expected an integer in [0, ${this._idToToken.length})`);
    }
    return id;
  }

  _encodeChecked(text, textPair, options, textName, pairName, emptyPairIsSingle) {
    requireString(text, textName);
    if (textPair !== null && textPair !== undefined) requireString(textPair, pairName);
    // transformers 5.25's BertTokenizer drops an empty text_pair in a single call but keeps it in a
    // batch. emptyPairIsSingle is true when this call models the single call.
    const emptyPairDropped = emptyPairIsSingle && textPair === '';
    const hasPair = textPair !== null && textPair !== undefined && !emptyPairDropped;
    requireKnownOptions(options, ENCODE_OPTIONS, 'encode');
    const { maxLength = 512, addSpecialTokens = true } = options;
    if (typeof addSpecialTokens !== 'boolean') {
      throw invalidArgument(`encode: addSpecialTokens must be true or false, got ${String(addSpecialTokens)}`);
    }
    let specialCount = 0;
    if (addSpecialTokens) specialCount = hasPair ? 3 : 2;
    if (maxLength !== null && (!Number.isSafeInteger(maxLength) || maxLength < Math.max(1, specialCount))) {
      throw invalidArgument(
        `encode: maxLength must be null or an integer of at least ${Math.max(1, specialCount)} ` +
          `(room for the ${specialCount} special tokens), got ${String(maxLength)}`,
      );
    }

    let first = this._textToIds(text);
    let second = hasPair ? this._textToIds(textPair) : [];
    let truncated = false;
    if (maxLength !== null) {
      const budget = maxLength - specialCount;
      if (first.length + second.length > budget) {
        truncated = true;
        const [firstKept, secondKept] = hasPair
          ? longestFirstLengths(first.length, second.length, budget)
          : [budget, 0];
        first = first.slice(0, firstKept);
        second = second.slice(0, secondKept);
      }
    }

    const length = first.length + second.length + specialCount;
    const inputIds = new Int32Array(length);
    const tokenTypeIds = new Int32Array(length);
    let position = 0;
    if (addSpecialTokens) inputIds[position++] = this._clsId;
    inputIds.set(first, position);
    position += first.length;
    if (addSpecialTokens) inputIds[position++] = this._sepId;
    if (hasPair) {
      tokenTypeIds.fill(1, position);
      inputIds.set(second, position);
      position += second.length;
      if (addSpecialTokens) inputIds[position++] = this._sepId;
    }
    return { inputIds, tokenTypeIds, truncated };
  }

  /**
   * Runs the whole pipeline on one text.
   * @param {string} text
   * @returns {number[]} token ids
   */
  _textToIds(text) {
    const ids = [];
    let segmentStart = 0;
    // Special tokens are matched in the raw text, before any cleaning, and case-sensitively.
    let bracket = this._specialTokens.size > 0 ? text.indexOf('[') : -1;
    while (bracket !== -1) {
      let matched = null;
      for (const token of this._specialTokens) {
        if (text.startsWith(token, bracket)) {
          matched = token;
          break;
        }
      }
      if (matched === null) {
        bracket = text.indexOf('[', bracket + 1);
        continue;
      }
      this._appendSegmentIds(text.slice(segmentStart, bracket), ids);
      ids.push(this._tokenToId.get(matched));
      segmentStart = bracket + matched.length;
      bracket = text.indexOf('[', segmentStart);
    }
    this._appendSegmentIds(segmentStart === 0 ? text : text.slice(segmentStart), ids);
    return ids;
  }

  /**
   * Appends the ids of a text segment that contains no special token as written in the raw text.
   * @param {string} segment
   * @param {number[]} ids
   */
  _appendSegmentIds(segment, ids) {
    if (segment.length === 0) return;
    const cleaned = cleanText(segment, this._tokenizeChineseChars);
    const normalized = cleaned.hasCombiningRange ? cleaned.text.normalize('NFC') : cleaned.text;

    const words = [];
    for (const spaceSeparated of normalized.split(' ')) {
      if (spaceSeparated.length === 0) continue;
      // A special token that cleaning revealed (such as "[CL\u200bS]") stays whole, unchanged.
      if (this._specialTokens.has(spaceSeparated)) {
        words.push(spaceSeparated);
        continue;
      }
      let word = spaceSeparated;
      if (this._doLowerCase) word = word.toLowerCase();
      if (this._stripAccents && NON_ASCII.test(word)) word = stripAccents(word);
      if (word.length === 0) continue;
      // Stripping accents can also spell a special token (cased "[ÇLS]" gives "[CLS]").
      if (this._specialTokens.has(word)) words.push(word);
      else splitOnPunctuation(word, words);
    }

    for (const word of words) this._appendWordPieceIds(word, ids);
  }

  /**
   * Appends the WordPiece ids of one word. At each position, the longest vocab entry that matches
   * is taken, with the ## prefix after the first piece. The whole word becomes one [UNK] when some
   * position has no match or the word is longer than maxInputCharsPerWord code points.
   * @param {string} word
   * @param {number[]} ids
   */
  _appendWordPieceIds(word, ids) {
    // offsets[i] is the UTF-16 index of code point i; offsets[count] is word.length.
    let offsets = null;
    let count = word.length;
    for (let index = 0; index < word.length; index++) {
      const unit = word.charCodeAt(index);
      if (unit >= 0xd800 && unit <= 0xdfff) {
        offsets = [];
        for (let position = 0; position < word.length; ) {
          offsets.push(position);
          position += word.codePointAt(position) > 0xffff ? 2 : 1;
        }
        count = offsets.length;
        offsets.push(word.length);
        break;
      }
    }
    if (count > this._maxInputCharsPerWord) {
      ids.push(this._unkId);
      return;
    }

    const firstPiece = ids.length;
    let start = 0;
    while (start < count) {
      const startUnit = offsets === null ? start : offsets[start];
      const maxUnits = start === 0 ? this._maxWordStartUnits : this._maxContinuationUnits;
      let matchedId = -1;
      let end = count;
      for (; end > start; end--) {
        const endUnit = offsets === null ? end : offsets[end];
        if (endUnit - startUnit > maxUnits) continue;
        const piece = word.slice(startUnit, endUnit);
        const id = this._tokenToId.get(start === 0 ? piece : CONTINUATION_PREFIX + piece);
        if (id !== undefined) {
          matchedId = id;
          break;
        }
      }
      if (matchedId === -1) {
        ids.length = firstPiece;
        ids.push(this._unkId);
        return;
      }
      ids.push(matchedId);
      start = end;
    }
  }
}

/**
 * Returns how many tokens of each sequence longest_first truncation keeps, by the rule of the Rust
 * `tokenizers` library (0.23.3) behind transformers 5's BertTokenizer. When the shorter sequence
 * fits in half the budget, it stays whole and the longer one gets the rest. Otherwise each keeps
 * floor(budget / 2), and the odd token goes to the longer sequence, or to the second when both
 * are as long. The slow tokenizer removes one token at a time from the longer sequence, and from
 * the second in a tie. So when the second is at least as long, it gives the odd token to the
 * first: 19 + 18 where this gives 18 + 19, and 1 + 0 where this gives 0 + 1 for a budget of 1.
 * @param {number} firstLength
 * @param {number} secondLength
 * @param {number} budget tokens left for both sequences, at least 0 and less than their sum
 * @returns {[number, number]}
 */
function longestFirstLengths(firstLength, secondLength, budget) {
  if (2 * Math.min(firstLength, secondLength) <= budget) {
    if (firstLength <= secondLength) return [firstLength, budget - firstLength];
    return [budget - secondLength, secondLength];
  }
  const half = Math.floor(budget / 2);
  if (firstLength > secondLength) return [budget - half, half];
  return [half, budget - half];
}
