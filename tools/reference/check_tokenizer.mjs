// Encodes the texts that tools/reference/check_tokenizer.py hands over with web/tokenizer.js and
// writes the results back for it to compare with Hugging Face's output. Run that script, not
// this one.
//
// Usage: node tools/reference/check_tokenizer.mjs JOBS.json RESULTS.json
//   JOBS.json:    { "vocabPath": string, "jobs": [{ "options": {...}, "maxLength": number,
//                   "items": [[text, textPair or null], ...] }] }
//   RESULTS.json: { "jobs": [{ "results": [[inputIds, tokenTypeIds, truncated], ...],
//                   "milliseconds": number }] }

import { readFile, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';

import { WordPieceTokenizer } from '../../web/tokenizer.js';

const [jobsPath, resultsPath] = process.argv.slice(2);
if (!jobsPath || !resultsPath) {
  console.error('usage: node tools/reference/check_tokenizer.mjs JOBS.json RESULTS.json');
  process.exit(2);
}

const { vocabPath, jobs } = JSON.parse(await readFile(jobsPath, 'utf8'));
const vocabText = await readFile(vocabPath, 'utf8');

const output = [];
for (const job of jobs) {
  const tokenizer = WordPieceTokenizer.fromVocabText(vocabText, { ...job.options, fileName: vocabPath });
  const options = { maxLength: job.maxLength };
  const started = performance.now();
  const encoded = job.items.map(([text, textPair]) => tokenizer.encode(text, textPair, options));
  const milliseconds = performance.now() - started;
  const results = encoded.map(({ inputIds, tokenTypeIds, truncated }) => [
    Array.from(inputIds),
    Array.from(tokenTypeIds),
    truncated,
  ]);
  output.push({ results, milliseconds });
}
await writeFile(resultsPath, JSON.stringify({ jobs: output }));
