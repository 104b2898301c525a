// The committed demo adapters load on the default base model and label plain sentences (written
// for this test) as a person would.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';

import { loadBaseModel } from '../web/base_model.js';

const ADAPTERS = new URL('../demo/adapters/', import.meta.url);
const results = JSON.parse(await readFile(new URL('results.json', ADAPTERS), 'utf8'));
const base = await loadBaseModel(new URL('../build/models/all-MiniLM-L6-v2/f16', import.meta.url).pathname);

const CASES = {
  sst2: [['A warm, funny and beautifully acted film.', 'positive'], ['Dull, predictable and far too long.', 'negative']],
  trec6: [['How many people live in Lisbon?', 'NUM'], ['Who painted the ceiling of the chapel?', 'HUM'], ['Where is the tallest waterfall?', 'LOC']],
  emotion: [['i feel so happy and grateful for my friends today', 'joy'], ['i feel scared and nervous about the storm tonight', 'fear']],
  sms_spam: [['WINNER! You have won a free prize, text CLAIM to 80088 now', 'spam'], ['Are we still meeting for lunch at noon?', 'ham']],
  ag_news: [['The striker scored twice as the club won the cup final.', 'Sports'], ['Shares fell after the bank cut its profit forecast.', 'Business']],
};

for (const [task, rows] of Object.entries(CASES)) {
  test(`demo adapter ${task} labels plain sentences`, async () => {
    const bytes = new Uint8Array(await readFile(new URL(`${task}.safetensors`, ADAPTERS)));
    assert.equal(bytes.length, results.tasks[task].fileBytes);
    const adapter = await base.loadAdapter(bytes, { fileName: `${task}.safetensors` });
    assert.deepEqual(adapter.labels, results.tasks[task].labels);
    for (const [text, expected] of rows) {
      const prediction = await adapter.classify(text);
      assert.equal(prediction.label, expected, `${task}: "${text}" -> ${prediction.label} (${JSON.stringify(prediction.scores)})`);
    }
    adapter.dispose();
  });
}
