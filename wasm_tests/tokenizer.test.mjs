// Tests web/tokenizer.js against token ids recorded from Hugging Face's BERT tokenizers
// (wasm_tests/fixtures/tokenizer_hostile.json, written by tools/reference/tokenizer_golden.py).

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';

import { AdapterkitError, ErrorCode } from '../web/errors.js';
import { WordPieceTokenizer } from '../web/tokenizer.js';

const fixturesUrl = new URL('./fixtures/', import.meta.url);
const fixture = JSON.parse(await readFile(new URL('tokenizer_hostile.json', fixturesUrl), 'utf8'));
const bertVocabText = await readFile(new URL(fixture.bertVocab, fixturesUrl), 'utf8');
const bertVocabLines = bertVocabText.split('\n');
const uncased = WordPieceTokenizer.fromVocabText(bertVocabText);

function encodeOptions(item) {
  return { maxLength: item.maxLength, addSpecialTokens: item.addSpecialTokens };
}

function checkCase(tokenizer, item, expected) {
  const encoded = tokenizer.encode(item.text, item.textPair, encodeOptions(item));
  assert.ok(encoded.inputIds instanceof Int32Array, 'inputIds is an Int32Array');
  assert.ok(encoded.tokenTypeIds instanceof Int32Array, 'tokenTypeIds is an Int32Array');
  assert.deepEqual(tokenizer.tokenize(item.text), expected.tokens, 'tokenize(text)');
  if (item.textPair !== null) {
    assert.deepEqual(tokenizer.tokenize(item.textPair), expected.pairTokens, 'tokenize(textPair)');
  }
  assert.deepEqual(Array.from(encoded.inputIds), expected.inputIds, 'inputIds');
  assert.deepEqual(Array.from(encoded.tokenTypeIds), expected.tokenTypeIds, 'tokenTypeIds');
  assert.equal(encoded.truncated, expected.truncated, 'truncated');

  // A one-item batch gives the same result, except where the fixture records a separate result
  // for the reference's batch call (which keeps an empty second text as a pair).
  const pairs = item.textPair === null ? null : [item.textPair];
  const encodeBatch = () => tokenizer.encodeBatch([item.text], pairs, encodeOptions(item));
  if (expected.batch === null) {
    assert.throws(encodeBatch, assertAdapterkitError(ErrorCode.INVALID_ARGUMENT, /maxLength must be/));
    return;
  }
  const batchExpected = expected.batch ?? expected;
  const [batched] = encodeBatch();
  assert.deepEqual(Array.from(batched.inputIds), batchExpected.inputIds, 'encodeBatch inputIds');
  assert.deepEqual(Array.from(batched.tokenTypeIds), batchExpected.tokenTypeIds, 'encodeBatch tokenTypeIds');
  assert.equal(batched.truncated, batchExpected.truncated, 'encodeBatch truncated');
}

function assertAdapterkitError(code, pattern) {
  return (error) => {
    assert.ok(error instanceof AdapterkitError, `expected an AdapterkitError, got ${error}`);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  };
}

function vocabWithout(...tokens) {
  return bertVocabLines.filter((line) => !tokens.includes(line)).join('\n');
}

for (const [configName, config] of Object.entries(fixture.bertConfigs)) {
  const tokenizer = WordPieceTokenizer.fromVocabText(bertVocabText, config);
  for (const item of fixture.bertCases) {
    test(`hostile ${configName}: ${item.name}`, () => {
      checkCase(tokenizer, item, item.expected[configName]);
    });
  }
}

for (const [configName, config] of Object.entries(fixture.tinyConfigs)) {
  const tokenizer = WordPieceTokenizer.fromVocabText(fixture.tinyVocabText, config);
  for (const item of fixture.tinyCases) {
    test(`hostile ${configName}: ${item.name}`, () => {
      checkCase(tokenizer, item, item.expected[configName]);
    });
  }
}

// Every (first words, second words, maxLength) in the grid, against the fast reference's lengths.
for (const addSpecialTokens of [true, false]) {
  test(`pair truncation grid ${addSpecialTokens ? 'with' : 'without'} special tokens`, () => {
    const { firstWords, secondWords, tables } = fixture.pairTruncation;
    const firstIds = uncased.convertTokensToIds(firstWords);
    const secondIds = uncased.convertTokensToIds(secondWords);
    const selected = tables.filter((table) => table.addSpecialTokens === addSpecialTokens);
    assert.ok(selected.length >= 20, `${selected.length} tables`);
    for (const { maxLength, keptLengths } of selected) {
      keptLengths.forEach((row, firstCount) => {
        row.forEach(([firstKept, secondKept], secondCount) => {
          const where = `${firstCount} + ${secondCount} words, maxLength ${maxLength}`;
          const first = firstIds.slice(0, firstKept);
          const second = secondIds.slice(0, secondKept);
          const inputIds = addSpecialTokens
            ? [uncased.clsId, ...first, uncased.sepId, ...second, uncased.sepId]
            : [...first, ...second];
          const firstTypeCount = addSpecialTokens ? first.length + 2 : first.length;
          const tokenTypeIds = inputIds.map((_, index) => (index < firstTypeCount ? 0 : 1));

          const text = firstWords.slice(0, firstCount).join(' ');
          const textPair = secondWords.slice(0, secondCount).join(' ');
          const [encoded] = uncased.encodeBatch([text], [textPair], { maxLength, addSpecialTokens });
          assert.deepEqual(Array.from(encoded.inputIds), inputIds, `${where}: inputIds`);
          assert.deepEqual(Array.from(encoded.tokenTypeIds), tokenTypeIds, `${where}: tokenTypeIds`);
          assert.equal(encoded.truncated, firstKept + secondKept < firstCount + secondCount, `${where}: truncated`);

          // encode() agrees with the batch call unless the second text is empty.
          if (secondCount > 0) {
            const single = uncased.encode(text, textPair, { maxLength, addSpecialTokens });
            assert.deepEqual(Array.from(single.inputIds), inputIds, `${where}: encode inputIds`);
          }
        });
      });
    }
  });
}

test('fixture covers both references', () => {
  // Guards against a regenerated fixture that silently lost its hard cases.
  assert.ok(fixture.bertCases.length >= 40, `${fixture.bertCases.length} BERT cases`);
  const references = new Set(fixture.bertCases.map((item) => item.reference));
  assert.deepEqual([...references].sort(), ['fast', 'slow']);
  const disagreements = fixture.bertCases.filter((item) => !item.expected.uncased.slowFastAgree);
  assert.ok(disagreements.length > 0, 'no case where the slow and fast tokenizers disagree');
  const pairCases = fixture.bertCases.filter((item) => item.textPair !== null);
  assert.ok(pairCases.length >= 20, `${pairCases.length} pair cases`);
  for (const item of pairCases) assert.equal(item.reference, 'fast', `${item.name} reference`);
});

test('special token ids match vocab lines', () => {
  assert.equal(uncased.clsId, bertVocabLines.indexOf('[CLS]'));
  assert.equal(uncased.sepId, bertVocabLines.indexOf('[SEP]'));
  assert.equal(uncased.padId, bertVocabLines.indexOf('[PAD]'));
  assert.equal(uncased.unkId, bertVocabLines.indexOf('[UNK]'));
  assert.equal(uncased.vocabSize, bertVocabLines.filter((line) => line !== '').length);
});

test('token id conversion round trip', () => {
  assert.deepEqual(uncased.convertTokensToIds(['hello', '##ing', '[MASK]']), [
    bertVocabLines.indexOf('hello'),
    bertVocabLines.indexOf('##ing'),
    bertVocabLines.indexOf('[MASK]'),
  ]);
  assert.equal(uncased.convertTokensToIds('no-such-token'), uncased.unkId);
  assert.deepEqual(uncased.convertIdsToTokens(Int32Array.of(101, 7592, 102)), ['[CLS]', 'hello', '[SEP]']);
  assert.equal(uncased.convertIdsToTokens(0), '[PAD]');
});

test('convertIdsToTokens rejects bad ids', () => {
  assert.throws(
    () => uncased.convertIdsToTokens([1, uncased.vocabSize]),
    assertAdapterkitError(ErrorCode.INVALID_ARGUMENT, /ids\[1\] is 30522, expected an integer in \[0, 30522\)/),
  );
  assert.throws(
    () => uncased.convertIdsToTokens(-1),
    assertAdapterkitError(ErrorCode.INVALID_ARGUMENT, /id is -1/),
  );
});

test('vocab with CRLF gives same ids', () => {
  const crlf = WordPieceTokenizer.fromVocabText(bertVocabText.replace(/\n/g, '\r\n'));
  assert.equal(crlf.vocabSize, uncased.vocabSize);
  assert.equal(crlf.convertIdsToTokens(crlf.vocabSize - 1), uncased.convertIdsToTokens(uncased.vocabSize - 1));
  for (const item of fixture.bertCases) {
    const expected = uncased.encode(item.text, item.textPair, encodeOptions(item));
    const actual = crlf.encode(item.text, item.textPair, encodeOptions(item));
    assert.deepEqual(Array.from(actual.inputIds), Array.from(expected.inputIds), item.name);
  }
});

test('vocab trailing blank lines ignored', () => {
  const padded = WordPieceTokenizer.fromVocabText(`${bertVocabText}\n\n\r\n`);
  assert.equal(padded.vocabSize, uncased.vocabSize);
});

test('vocab inner blank line keeps ids', () => {
  // The empty line is token '' with id 1, so [UNK] and everything after it move up by one.
  const tokenizer = WordPieceTokenizer.fromVocabText('[PAD]\n\n[UNK]\n[CLS]\n[SEP]\nhello\n');
  assert.equal(tokenizer.vocabSize, 6);
  assert.equal(tokenizer.unkId, 2);
  assert.deepEqual(Array.from(tokenizer.encode('hello').inputIds), [3, 5, 4]);
  assert.equal(tokenizer.convertIdsToTokens(1), '');
});

test('vocab missing [CLS] rejected', () => {
  assert.throws(
    () => WordPieceTokenizer.fromVocabText(vocabWithout('[CLS]')),
    assertAdapterkitError(ErrorCode.INVALID_FILE, /^vocab\.txt: missing special token \[CLS\] /),
  );
});

test('vocab missing several tokens listed', () => {
  assert.throws(
    () => WordPieceTokenizer.fromVocabText(vocabWithout('[SEP]', '[UNK]', '[PAD]'), { fileName: 'my/vocab.txt' }),
    assertAdapterkitError(ErrorCode.INVALID_FILE, /^my\/vocab\.txt: missing special tokens \[SEP\], \[UNK\], \[PAD\] /),
  );
});

test('vocab without [MASK] accepted', () => {
  const tokenizer = WordPieceTokenizer.fromVocabText(vocabWithout('[MASK]'));
  assert.equal(tokenizer.vocabSize, uncased.vocabSize - 1);
});

test('empty vocab rejected', () => {
  for (const text of ['', '\n\n', '\r\n']) {
    assert.throws(
      () => WordPieceTokenizer.fromVocabText(text, { fileName: 'empty-vocab.txt' }),
      assertAdapterkitError(ErrorCode.INVALID_FILE, /^empty-vocab\.txt: the vocabulary is empty/),
      JSON.stringify(text),
    );
  }
});

test('vocab options validated', () => {
  assert.throws(
    () => WordPieceTokenizer.fromVocabText(bertVocabText, { lowerCase: false }),
    assertAdapterkitError(ErrorCode.INVALID_ARGUMENT, /no option 'lowerCase'/),
  );
  assert.throws(
    () => WordPieceTokenizer.fromVocabText(bertVocabText, { maxInputCharsPerWord: 0 }),
    assertAdapterkitError(ErrorCode.INVALID_ARGUMENT, /maxInputCharsPerWord must be a positive integer, got 0/),
  );
  assert.throws(
    () => WordPieceTokenizer.fromVocabText(bertVocabText, { stripAccents: 'yes' }),
    assertAdapterkitError(ErrorCode.INVALID_ARGUMENT, /stripAccents must be true, false or null, got yes/),
  );
});

test('non-string input rejected', () => {
  const invalid = ErrorCode.INVALID_ARGUMENT;
  assert.throws(() => uncased.tokenize(null), assertAdapterkitError(invalid, /tokenize: text must be a string, got null/));
  assert.throws(() => uncased.tokenize(42), assertAdapterkitError(invalid, /tokenize: text must be a string, got number/));
  assert.throws(() => uncased.encode(undefined), assertAdapterkitError(invalid, /encode: text must be a string, got undefined/));
  assert.throws(() => uncased.encode('a', 7), assertAdapterkitError(invalid, /encode: textPair must be a string, got number/));
  assert.throws(
    () => uncased.encodeBatch(['a', null]),
    assertAdapterkitError(invalid, /encodeBatch: texts\[1\] must be a string, got null/),
  );
  assert.throws(
    () => uncased.encodeBatch(['a', 'b'], ['c', 5]),
    assertAdapterkitError(invalid, /encodeBatch: pairs\[1\] must be a string, got number/),
  );
  assert.throws(
    () => uncased.encodeBatch('a'),
    assertAdapterkitError(invalid, /encodeBatch: texts must be an array of strings, got string/),
  );
  assert.throws(
    () => WordPieceTokenizer.fromVocabText(null),
    assertAdapterkitError(invalid, /vocab text must be a string, got null/),
  );
});

test('encode maxLength validated', () => {
  assert.throws(
    () => uncased.encode('a', 'b', { maxLength: 2 }),
    assertAdapterkitError(ErrorCode.INVALID_ARGUMENT, /maxLength must be null or an integer of at least 3 .*got 2/),
  );
  assert.throws(
    () => uncased.encode('a', null, { maxLength: 1.5 }),
    assertAdapterkitError(ErrorCode.INVALID_ARGUMENT, /got 1\.5/),
  );
  assert.throws(
    () => uncased.encode('a', null, { max_length: 8 }),
    assertAdapterkitError(ErrorCode.INVALID_ARGUMENT, /no option 'max_length'/),
  );
});

test('encode smallest maxLength', () => {
  const single = uncased.encode('hello world', null, { maxLength: 2 });
  assert.deepEqual(Array.from(single.inputIds), [uncased.clsId, uncased.sepId]);
  assert.equal(single.truncated, true);
  const pair = uncased.encode('hello', 'world', { maxLength: 3 });
  assert.deepEqual(Array.from(pair.inputIds), [uncased.clsId, uncased.sepId, uncased.sepId]);
  assert.deepEqual(Array.from(pair.tokenTypeIds), [0, 0, 1]);
});

test('empty second text single or pair', () => {
  const single = uncased.encode('hello', '');
  assert.deepEqual(Array.from(single.inputIds), Array.from(uncased.encode('hello').inputIds));
  const [batched] = uncased.encodeBatch(['hello'], ['']);
  const helloId = uncased.convertTokensToIds('hello');
  assert.deepEqual(Array.from(batched.inputIds), [uncased.clsId, helloId, uncased.sepId, uncased.sepId]);
  assert.deepEqual(Array.from(batched.tokenTypeIds), [0, 0, 0, 1]);
  assert.throws(
    () => uncased.encodeBatch(['hello'], [''], { maxLength: 2 }),
    assertAdapterkitError(ErrorCode.INVALID_ARGUMENT, /at least 3/),
  );
});

test('encode null maxLength no truncation', () => {
  const text = 'word '.repeat(600);
  const encoded = uncased.encode(text, null, { maxLength: null });
  assert.equal(encoded.inputIds.length, 602);
  assert.equal(encoded.truncated, false);
  assert.equal(uncased.encode(text).inputIds.length, 512);
});

test('encodeBatch equals encode', () => {
  // encode() reads an empty second text as none; encodeBatch() keeps it as a pair.
  const items = fixture.bertCases.filter((item) => item.textPair !== '');
  const texts = items.map((item) => item.text);
  const pairs = items.map((item) => item.textPair);
  const options = { maxLength: 16 };
  const batch = uncased.encodeBatch(texts, pairs, options);
  assert.equal(batch.length, items.length);
  items.forEach((item, index) => {
    const single = uncased.encode(item.text, item.textPair, options);
    assert.deepEqual(Array.from(batch[index].inputIds), Array.from(single.inputIds), `${item.name} inputIds`);
    assert.deepEqual(Array.from(batch[index].tokenTypeIds), Array.from(single.tokenTypeIds), `${item.name} tokenTypeIds`);
    assert.equal(batch[index].truncated, single.truncated, `${item.name} truncated`);
  });
  const singles = uncased.encodeBatch(texts.slice(0, 3));
  assert.deepEqual(Array.from(singles[2].inputIds), Array.from(uncased.encode(texts[2]).inputIds));
});

test('encodeBatch rejects length mismatch', () => {
  assert.throws(
    () => uncased.encodeBatch(['a', 'b'], ['c']),
    assertAdapterkitError(ErrorCode.INVALID_ARGUMENT, /pairs has 1 items but texts has 2/),
  );
});
