// Turns pasted or uploaded CSV text into training rows. Every row that cannot be used is kept
// with its reason, so the page can show what it will train on before training starts.

const HEADER_TEXT = ['text', 'sentence'];
const HEADER_LABEL = ['label'];

/**
 * Reads `text,label` rows. A first line naming the columns (text and label, in any order and
 * among other columns) is optional.
 * @param {string} csvText
 * @param {{ parse: Function }} Papa Papa Parse (window.Papa in the page)
 * @returns {{ rows: {text: string, label: string}[], rejected: {row: number, reason: string, raw: string}[],
 *   labels: string[], counts: Record<string, number>, header: boolean, delimiter: string }}
 *   row numbers count CSV records from 1, the header included, as a spreadsheet shows them
 */
export function readTrainingRows(csvText, Papa) {
  // Papa's delimiter guess counts blank lines as one-column rows, so it runs without them. The
  // parse keeps them, so that row numbers match the lines in the text box.
  const guess = Papa.parse(csvText, { skipEmptyLines: 'greedy', preview: 20, delimitersToGuess: [',', '\t', ';'] });
  const delimiter = guess.meta.delimiter || ',';
  const parsed = Papa.parse(csvText, { skipEmptyLines: false, delimiter });
  const records = parsed.data;

  // Papa reports quoting problems per record. An undetectable delimiter has no record number:
  // it is ignored, because those rows are rejected below for their missing label.
  const recordErrors = new Map();
  for (const error of parsed.errors) {
    if (Number.isInteger(error.row) && !recordErrors.has(error.row)) recordErrors.set(error.row, error.message);
  }

  const isBlank = (fields) => fields.every((field) => field.trim() === '');
  const firstIndex = records.findIndex((fields) => !isBlank(fields));
  let textColumn = 0;
  let labelColumn = 1;
  let columns = 2;
  let header = false;
  if (firstIndex >= 0) {
    const names = records[firstIndex].map((field) => field.trim().toLowerCase());
    const t = names.findIndex((name) => HEADER_TEXT.includes(name));
    const l = names.findIndex((name) => HEADER_LABEL.includes(name));
    if (t >= 0 && l >= 0) {
      header = true;
      textColumn = t;
      labelColumn = l;
      columns = names.length;
    }
  }

  const rows = [];
  const rejected = [];
  records.forEach((fields, index) => {
    if (header && index === firstIndex) return;
    if (isBlank(fields)) return;
    const reject = (reason) => rejected.push({ row: index + 1, reason, raw: fields.join(delimiter) });
    if (recordErrors.has(index)) return reject(`CSV error: ${recordErrors.get(index)}`);
    if (fields.length > columns) {
      const expected = header ? `the header names ${columns}` : 'expected 2 (text,label)';
      const hint = delimiter === ',' ? '; put quotes around text that contains commas' : '';
      return reject(`${fields.length} columns, ${expected}${hint}`);
    }
    const text = (fields[textColumn] ?? '').trim();
    const label = (fields[labelColumn] ?? '').trim();
    if (!text && !label) return reject('empty text and missing label');
    if (!text) return reject('empty text');
    if (!label) return reject('missing label');
    rows.push({ text, label });
  });

  const counts = {};
  for (const { label } of rows) counts[label] = (counts[label] ?? 0) + 1;
  const labels = Object.keys(counts).sort((a, b) => a.localeCompare(b));
  return { rows, rejected, labels, counts, header, delimiter };
}

function seededRandom(seed) {
  let state = seed >>> 0 || 1;
  return () => {
    // xorshift32: enough to shuffle a few thousand rows the same way on every run
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
}

/**
 * Holds out a share of each label's rows for evaluation, so the accuracy shown after training
 * is measured on rows the adapter did not learn from. Labels with a single row stay in training.
 * With fewer than `minimumRows` rows nothing is held out.
 * @returns {{ train: object[], heldOut: object[] }}
 */
export function holdOut(rows, { fraction = 0.2, minimumRows = 10, seed = 7 } = {}) {
  if (rows.length < minimumRows) return { train: [...rows], heldOut: [] };
  const random = seededRandom(seed);
  const byLabel = new Map();
  rows.forEach((row, index) => {
    if (!byLabel.has(row.label)) byLabel.set(row.label, []);
    byLabel.get(row.label).push(index);
  });
  const held = new Set();
  for (const indices of byLabel.values()) {
    if (indices.length < 2) continue;
    for (let i = indices.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [indices[i], indices[j]] = [indices[j], indices[i]];
    }
    const take = Math.max(1, Math.floor(indices.length * fraction));
    for (const index of indices.slice(0, take)) held.add(index);
  }
  return {
    train: rows.filter((_, index) => !held.has(index)),
    heldOut: rows.filter((_, index) => held.has(index)),
  };
}
