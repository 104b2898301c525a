// The adapterkit demo page: loads the base model with visible progress, classifies text with the
// demo adapters (one task, or all of them in one batch), and trains new adapters on rows the
// person pastes or uploads. Everything runs in this page and its training worker.
//
// Query parameters, for trying other files: ?model=<folder URL> picks another base model,
// ?adapters=<folder URL> another folder with results.json and <task>.safetensors files.
import { DEFAULT_CACHE_NAME, detectFeatures, loadBaseModel } from '../web/index.js';

import { TrainingChart } from './chart.js';
import { holdOut, readTrainingRows } from './csv.js';

const params = new URLSearchParams(location.search);
const MODEL_URL = new URL(params.get('model') ?? '../build/models/all-MiniLM-L6-v2/f16/', location.href).href.replace(/\/?$/, '/');
const ADAPTERS_URL = new URL(params.get('adapters') ?? 'adapters/', location.href).href.replace(/\/?$/, '/');
const ALL_TASKS = '*all';
const CLASSIFY_DELAY_MS = 150;

// Sentences to click for each demo task, so a first visit has something to try at once.
const EXAMPLES = {
  sst2: ['The film was a joy from the first scene to the last.', 'A dull script, wooden acting and far too long.'],
  trec6: ['Who painted the ceiling of the chapel?', 'How many kilometres is it to the nearest city?'],
  emotion: ['I could not stop smiling after I heard the news.', 'I feel so alone in this empty house tonight.'],
  sms_spam: ['You have won a free holiday! Reply WIN now to claim your prize.', 'Running late, see you at the station in ten minutes.'],
  ag_news: ['The central bank raised interest rates by half a point on Tuesday.', 'The striker scored twice as the club won the cup final.'],
};

const $ = (id) => document.getElementById(id);

/** @type {import('../web/index.js').BaseModel|null} */
let base = null;
// Tasks in the selector: option value → {key, title, adapter, source, bytes, info}
const tasks = new Map();
let taskCounter = 0;
let lastTrained = null; // {name, bytes}

// ---------------------------------------------------------------------------------------------
// Formatting and errors

function formatBytes(n) {
  if (n === null || n === undefined) return 'unknown size';
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 1 : 0)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

function formatCount(n) {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} million`;
  if (n >= 1e4) return `${Math.round(n / 1e3)} thousand`;
  return n.toLocaleString('en-US');
}

const percent = (value, digits = 1) => `${(value * 100).toFixed(digits)}%`;

/** Text of an error as the person should read it: the library's code and its own message. */
function describeError(error) {
  if (error?.name === 'AdapterkitError') return `${error.message} (${error.code})`;
  return error?.message ?? String(error);
}

function showError(slot, error, prefix = '') {
  const box = $(slot);
  box.textContent = `${prefix}${describeError(error)}`;
  box.hidden = false;
  console.error(error);
}

function clearError(slot) {
  $(slot).hidden = true;
  $(slot).textContent = '';
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'className') node.className = value;
    else if (key === 'style') Object.assign(node.style, value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// ---------------------------------------------------------------------------------------------
// 1. Base model

/** Name of the model folder for people: ".../all-MiniLM-L6-v2/f16/" → "all-MiniLM-L6-v2 (f16)". */
function modelName(url) {
  const parts = new URL(url).pathname.split('/').filter(Boolean);
  const last = parts.at(-1) ?? url;
  if (/^(f16|f32|bf16|fp16|fp32|q8)$/i.test(last) && parts.length > 1) return `${parts.at(-2)} (${last})`;
  return last;
}

// Looking into Cache Storage first lets the page tell, before loading starts, whether 45 MB are
// about to be downloaded. The fromCache flag of the progress events reports what happened.
async function weightsWereCached() {
  try {
    if (!globalThis.caches || !(await caches.has(DEFAULT_CACHE_NAME))) return false;
    const cache = await caches.open(DEFAULT_CACHE_NAME);
    return Boolean(await cache.match(`${MODEL_URL}model.safetensors`));
  } catch {
    return false;
  }
}

async function loadModel() {
  const status = $('model-status');
  const progress = $('model-progress');
  const features = detectFeatures();
  $('fact-code-path').textContent =
    `WebAssembly SIMD128: ${features.simd ? 'yes' : 'no'}; threads: 1 (single-threaded build)`;

  const files = new Map(); // file → {loaded, total}
  let fromCache = false;
  let frame = 0;
  const render = () => {
    frame = 0;
    let loaded = 0;
    let total = 0;
    let large = false;
    for (const entry of files.values()) {
      loaded += entry.loaded;
      total += entry.total ?? entry.loaded;
      if ((entry.total ?? 0) > 1e6) large = true;
    }
    // Until the weights file starts, the total is a few small files: a bar would fill up and
    // then fall back, so it stays indeterminate.
    if (large && total > 0) {
      progress.max = total;
      progress.value = loaded;
      $('model-bytes').textContent = `${formatBytes(loaded)} of ${formatBytes(total)} (${Math.floor((loaded / total) * 100)}%)`;
    }
  };
  const onProgress = (event) => {
    const { file, loaded, total } = event;
    files.set(file, { loaded, total });
    if (file === 'model.safetensors') fromCache = fromCache || event.fromCache;
    if (!frame) frame = requestAnimationFrame(render);
  };

  const cachedBefore = await weightsWereCached();
  $('model-message').textContent = cachedBefore
    ? `Loading ${modelName(MODEL_URL)} from your browser's cache…`
    : `Downloading ${modelName(MODEL_URL)} (once; later visits use your browser's cache)…`;
  const started = performance.now();
  base = await loadBaseModel(MODEL_URL, { onProgress });
  const seconds = (performance.now() - started) / 1000;
  render();

  progress.max = 1;
  progress.value = 1;
  progress.hidden = true;
  status.dataset.state = 'ready';
  status.dataset.source = fromCache ? 'cache' : 'network';
  $('model-message').textContent = fromCache
    ? `Ready. Loaded from your browser's cache in ${seconds.toFixed(1)} s, nothing downloaded.`
    : `Ready. Downloaded ${formatBytes(base.weightsByteLength)} in ${seconds.toFixed(1)} s; the next visit loads it from your browser's cache.`;
  $('model-bytes').textContent = '';
  $('fact-name').textContent = modelName(MODEL_URL);
  $('fact-size').textContent = `${formatCount(base.parameterCount)} parameters, weights file ${formatBytes(base.weightsByteLength)} (${base.dtypes.join(', ')})`;
  $('fact-architecture').textContent =
    `${base.config.numHiddenLayers} layers, hidden size ${base.config.hiddenSize}, ` +
    `sentence vector: ${base.pooling.mode} pooling${base.pooling.normalize ? ', normalised' : ''}`;
  $('model-facts').hidden = false;
}

// ---------------------------------------------------------------------------------------------
// 2. Tasks and classification

async function loadDemoAdapters() {
  let results;
  try {
    const response = await fetch(`${ADAPTERS_URL}results.json`, { cache: 'no-cache' });
    if (!response.ok) throw new Error(`${ADAPTERS_URL}results.json: HTTP ${response.status} ${response.statusText}`);
    results = await response.json();
  } catch (error) {
    const note = $('adapter-notes');
    note.textContent = `No demo adapters (${error.message}). Train one below or load an adapter file.`;
    note.hidden = false;
    return;
  }
  const entries = Object.entries(results.tasks ?? {});
  // Demo adapters are small and may be retrained under the same name, so they are fetched
  // afresh rather than kept in Cache Storage.
  const loaded = await Promise.allSettled(
    entries.map(([key]) => base.loadAdapter(`${ADAPTERS_URL}${encodeURIComponent(key)}.safetensors`, { cache: false })),
  );
  const missing = [];
  entries.forEach(([key, info], i) => {
    const outcome = loaded[i];
    if (outcome.status === 'fulfilled') {
      const adapter = outcome.value;
      addTask({ key, title: info.title ?? adapter.config.title ?? key, adapter, source: 'demo', info });
    } else {
      missing.push(`${info.title ?? key}: ${describeError(outcome.reason)}`);
      console.error(outcome.reason);
    }
  });
  if (missing.length) {
    const note = $('adapter-notes');
    note.textContent = `Not available: ${missing.join('; ')}.`;
    note.hidden = false;
  }
}

/** Adds a task to the selector, selecting it when asked to, and returns its option value. */
function addTask(task, { select = false } = {}) {
  const value = task.source === 'demo' ? task.key : `${task.source}-${++taskCounter}`;
  tasks.set(value, { ...task, value });
  rebuildTaskOptions(select ? value : undefined);
  return value;
}

function rebuildTaskOptions(selected) {
  const select = $('task');
  const keep = selected ?? select.value;
  select.replaceChildren();
  const groups = [
    ['demo', 'Demo tasks'],
    ['trained', 'Trained in this page'],
    ['file', 'Loaded from a file'],
  ];
  for (const [source, label] of groups) {
    const group = element('optgroup', { label });
    for (const task of tasks.values()) {
      if (task.source === source) group.append(element('option', { value: task.value }, task.title));
    }
    if (group.children.length) select.append(group);
  }
  if (tasks.size > 1) select.append(element('option', { value: ALL_TASKS }, 'All tasks, side by side'));
  if (tasks.size === 0) {
    select.append(element('option', { value: '' }, 'No tasks yet: train one below or load a file'));
    select.disabled = true;
  } else {
    select.disabled = false;
    select.value = tasks.has(keep) || (keep === ALL_TASKS && tasks.size > 1) ? keep : select.options[0].value;
  }
  showTaskInfo();
}

function showTaskInfo() {
  const choice = $('task').value;
  const info = $('task-info');
  const examples = $('examples');
  examples.replaceChildren();
  if (choice === ALL_TASKS) {
    info.textContent = `The ${tasks.size} tasks run on the text as one batch: one row per task, each row with its own adapter, sharing the base model's matrix products.`;
    addExampleButtons([...tasks.values()].map((task) => EXAMPLES[task.key]?.[0]).filter(Boolean));
    return;
  }
  const task = tasks.get(choice);
  if (!task) {
    info.textContent = '';
    return;
  }
  const { adapter } = task;
  const bytes = adapter.byteLength ?? task.bytes?.length ?? null;
  const parts = [`Labels: ${adapter.labels.join(', ')}.`];
  if (typeof task.info?.testAccuracy === 'number') {
    parts.push(`Test accuracy ${percent(task.info.testAccuracy)}${task.info.testRows ? ` on ${task.info.testRows.toLocaleString('en-US')} rows` : ''}.`);
  }
  parts.push(
    `Adapter file ${formatBytes(bytes)} next to the base model's ${formatBytes(base.weightsByteLength)}` +
      `${bytes ? ` (${percent(bytes / base.weightsByteLength, 2)})` : ''}; ${formatCount(adapter.parameterCount)} trained parameters.`,
  );
  info.textContent = parts.join(' ');
  addExampleButtons(EXAMPLES[task.key] ?? []);
}

function addExampleButtons(sentences) {
  const examples = $('examples');
  if (!sentences.length) return;
  examples.append(element('span', { className: 'muted' }, 'Try:'));
  for (const sentence of sentences) {
    const button = element('button', { type: 'button', className: 'example' }, sentence);
    button.addEventListener('click', () => {
      $('text').value = sentence;
      classifyNow();
    });
    examples.append(button);
  }
}

let classifyTimer = 0;
let classifySequence = 0;

function classifySoon() {
  clearTimeout(classifyTimer);
  classifyTimer = setTimeout(classifyNow, CLASSIFY_DELAY_MS);
}

async function classifyNow() {
  clearTimeout(classifyTimer);
  const sequence = ++classifySequence;
  const text = $('text').value;
  const choice = $('task').value;
  const panel = $('prediction');
  clearError('try-error');
  if (!base || !text.trim() || (choice !== ALL_TASKS && !tasks.has(choice))) {
    panel.hidden = true;
    return;
  }
  try {
    const started = performance.now();
    if (choice === ALL_TASKS) {
      const list = [...tasks.values()];
      const predictions = await base.classifyAll(text, list.map((task) => task.adapter));
      const milliseconds = performance.now() - started;
      if (sequence !== classifySequence) return;
      showAllTasks(list, predictions, milliseconds, text);
    } else {
      const task = tasks.get(choice);
      const prediction = await task.adapter.classify(text);
      const milliseconds = performance.now() - started;
      if (sequence !== classifySequence) return;
      showPrediction(task, prediction, milliseconds, text);
    }
  } catch (error) {
    if (sequence !== classifySequence) return;
    panel.hidden = true;
    showError('try-error', error, 'Classification failed: ');
  }
}

function truncationNote(prediction) {
  return prediction.truncated ? ` The text was cut to the first ${base.maxLength} tokens.` : '';
}

function showPrediction(task, prediction, milliseconds, text) {
  const panel = $('prediction');
  $('all-tasks').hidden = true;
  $('prediction-label').textContent = prediction.label;
  $('prediction-score').textContent = percent(prediction.score);
  const bars = $('score-bars');
  bars.replaceChildren();
  const ranked = Object.entries(prediction.scores).sort((a, b) => b[1] - a[1]);
  for (const [label, score] of ranked) {
    const fill = element('span', { className: 'bar-fill', style: { width: `${(score * 100).toFixed(1)}%` } });
    bars.append(
      element(
        'li',
        { className: label === prediction.label ? 'top' : '' },
        element('span', { className: 'bar-label' }, label),
        element('span', { className: 'bar-track', 'aria-hidden': 'true' }, fill),
        element('span', { className: 'bar-value' }, percent(score)),
      ),
    );
  }
  bars.hidden = false;
  $('prediction-meta').textContent =
    `${task.title}: ${milliseconds.toFixed(1)} ms for this text.${truncationNote(prediction)}`;
  // The end-to-end test reads what was classified and the exact score from these attributes.
  Object.assign(panel.dataset, { task: task.value, text, label: prediction.label, score: String(prediction.score) });
  panel.hidden = false;
}

function showAllTasks(list, predictions, milliseconds, text) {
  const panel = $('prediction');
  $('prediction-label').textContent = '';
  $('prediction-score').textContent = '';
  $('score-bars').hidden = true;
  const body = $('all-tasks-body');
  body.replaceChildren();
  predictions.forEach((prediction, i) => {
    const fill = element('span', { className: 'bar-fill', style: { width: `${(prediction.score * 100).toFixed(1)}%` } });
    body.append(
      element(
        'tr',
        {},
        element('th', { scope: 'row' }, list[i].title),
        element('td', { className: 'label-cell' }, prediction.label),
        element('td', { className: 'score-cell' }, element('span', { className: 'bar-track small', 'aria-hidden': 'true' }, fill), ` ${percent(prediction.score)}`),
      ),
    );
  });
  $('all-tasks').hidden = false;
  $('prediction-meta').textContent = `${list.length} tasks in one batch: ${milliseconds.toFixed(1)} ms.${truncationNote(predictions[0])}`;
  Object.assign(panel.dataset, { task: ALL_TASKS, text, label: predictions.map((p) => p.label).join(','), score: '' });
  panel.hidden = false;
}

async function loadAdapterFile(file) {
  clearError('try-error');
  try {
    const adapter = await base.loadAdapter(file);
    const title = `${adapter.config.title ?? adapter.name} (${file.name})`;
    addTask({ key: adapter.name, title, adapter, source: 'file' }, { select: true });
    classifyNow();
  } catch (error) {
    showError('try-error', error, 'Could not load the adapter file: ');
  }
}

// ---------------------------------------------------------------------------------------------
// 3. Training

let data = null; // result of readTrainingRows for the rows box
let training = null; // AbortController while training runs
let chart = null;

function readRows() {
  const text = $('csv-text').value;
  const summary = $('data-summary');
  summary.replaceChildren();
  data = null;
  if (!text.trim()) {
    updateTrainButton();
    return;
  }
  if (typeof window.Papa?.parse !== 'function') {
    showError('train-error', new Error('Papa Parse did not load (node_modules/papaparse/papaparse.min.js); run npm install, then reload.'));
    return;
  }

  data = readTrainingRows(text, window.Papa);
  const { rows, rejected, labels, counts } = data;
  const delimiterName = { '\t': 'tab', ';': 'semicolon', ',': 'comma' }[data.delimiter] ?? JSON.stringify(data.delimiter);
  summary.append(
    element(
      'p',
      { id: 'data-totals' },
      `${rows.length} row${rows.length === 1 ? '' : 's'} to train on, ${rejected.length} rejected` +
        ` (${delimiterName}-separated${data.header ? ', with a header line' : ''}).`,
    ),
  );

  if (labels.length) {
    const table = element(
      'table',
      { id: 'label-counts', className: 'compact' },
      element('caption', {}, 'Rows per label'),
      element('thead', {}, element('tr', {}, element('th', { scope: 'col' }, 'Label'), element('th', { scope: 'col' }, 'Rows'))),
    );
    const body = element('tbody');
    for (const label of labels) body.append(element('tr', {}, element('th', { scope: 'row' }, label), element('td', {}, String(counts[label]))));
    table.append(body);
    summary.append(element('div', { className: 'table-scroll' }, table));
  }

  if (rejected.length) {
    const list = element('ul', { id: 'rejected-rows', className: 'rejected' });
    for (const entry of rejected.slice(0, 50)) {
      const shown = entry.raw.length > 80 ? `${entry.raw.slice(0, 80)}…` : entry.raw;
      list.append(element('li', {}, element('strong', {}, `Row ${entry.row}: ${entry.reason}`), ' ', element('code', {}, shown)));
    }
    if (rejected.length > 50) list.append(element('li', {}, `…and ${rejected.length - 50} more.`));
    summary.append(element('details', { open: '' }, element('summary', {}, `Rejected rows (${rejected.length})`), list));
  }

  if (rows.length && labels.length < 2) {
    summary.append(element('p', { className: 'warning' }, `Every accepted row has the label “${labels[0]}”: training needs at least two different labels.`));
  }
  updateTrainButton();
}

function updateTrainButton() {
  $('train-button').disabled = !base || training !== null || !data || data.labels.length < 2;
}

/** Reads a numeric setting, raising an error that names the field when the value is invalid. */
function numberSetting(id, { integer = false, min = 0, positive = false } = {}) {
  const input = $(id);
  const value = Number(input.value);
  const label = document.querySelector(`label[for="${id}"]`).textContent;
  const valid = input.value.trim() !== '' && Number.isFinite(value) && (!integer || Number.isInteger(value)) && (positive ? value > 0 : value >= min);
  if (!valid) {
    input.focus();
    const bound = positive ? 'above 0' : `of at least ${min}`;
    throw new Error(`${label} must be ${integer ? 'a whole number' : 'a number'} ${bound}; got “${input.value}”.`);
  }
  return value;
}

async function train() {
  clearError('train-error');
  $('evaluation').hidden = true;
  let settings;
  try {
    settings = {
      name: $('adapter-name').value.trim(),
      size: numberSetting('adapter-size', { integer: true, min: 0 }),
      epochs: numberSetting('epochs', { integer: true, min: 1 }),
      learningRate: numberSetting('learning-rate', { positive: true }),
      batchSize: numberSetting('batch-size', { integer: true, min: 1 }),
    };
  } catch (error) {
    showError('train-error', error);
    return;
  }
  const { train: trainRows, heldOut } = holdOut(data.rows);
  // A batch larger than the data would only raise an error: use one batch of everything.
  const batchSize = Math.min(settings.batchSize, trainRows.length);
  const status = $('train-status');
  training = new AbortController();
  updateTrainButton();
  $('stop-button').disabled = false;
  $('chart-figure').hidden = false;
  chart ??= new TrainingChart($('chart'));
  chart.reset();
  status.textContent =
    `Preparing: ${trainRows.length} rows to learn from, ${heldOut.length} held out to measure accuracy. ` +
    'The training worker is loading the base model from the cache…';

  let adapter = null;
  try {
    adapter = base.createAdapter({ name: settings.name, labels: data.labels, size: settings.size });
    const report = await adapter.train(trainRows, {
      epochs: settings.epochs,
      batchSize,
      learningRate: settings.learningRate,
      validation: heldOut.length ? heldOut : 0,
      signal: training.signal,
      onProgress: (event) => {
        if (event.type === 'step') {
          chart.addStep(event.step, event.loss);
          status.textContent =
            `Step ${event.step} of ${event.totalSteps}, epoch ${event.epoch} of ${event.epochs ?? settings.epochs}: ` +
            `loss ${event.loss.toFixed(4)}, ${event.examplesPerSecond.toFixed(1)} examples/s.`;
        } else if (event.type === 'epoch') {
          chart.addEpoch(event.step, event.validationAccuracy);
        }
      },
    });
    // What the page keeps is exactly the file it offers for download (f16), so trying the
    // adapter here and loading the downloaded file later give the same predictions.
    const bytes = adapter.toBytes({ dtype: 'f16' });
    adapter.dispose();
    adapter = null;
    const fileName = `${settings.name}.safetensors`;
    const trained = await base.loadAdapter(bytes, { fileName });
    const evaluationRows = heldOut.length ? heldOut : trainRows;
    const scores = await trained.evaluate(evaluationRows);
    lastTrained = { name: settings.name, bytes };
    addTask({ key: settings.name, title: `${settings.name} (trained here)`, adapter: trained, source: 'trained', bytes }, { select: true });
    classifyNow();
    const how = { completed: 'Training finished', cancelled: 'Training stopped', 'early-stopping': 'Training stopped early' }[report.stopped] ?? 'Training ended';
    const epochs = report.epochs ? `${report.epochs} epoch${report.epochs === 1 ? '' : 's'}` : 'before the first epoch ended';
    status.textContent =
      `${how} after ${report.steps} step${report.steps === 1 ? '' : 's'} (${epochs}) in ${report.seconds.toFixed(1)} s` +
      `${report.bestEpoch ? `; kept the adapter of epoch ${report.bestEpoch}, the best on the held-out rows` : ''}.`;
    showEvaluation(scores, heldOut.length > 0, bytes.length);
  } catch (error) {
    adapter?.dispose();
    status.textContent = 'Training failed.';
    showError('train-error', error, 'Training failed: ');
  } finally {
    training = null;
    $('stop-button').disabled = true;
    updateTrainButton();
  }
}

function showEvaluation(scores, heldOut, fileBytes) {
  const where = heldOut
    ? `on the ${scores.count} held-out rows`
    : `on the ${scores.count} training rows (too few rows to hold some out, so this is optimistic)`;
  $('evaluation-summary').textContent = `Accuracy ${percent(scores.accuracy)} ${where}; macro-F1 ${percent(scores.macroF1)}.`;
  const table = $('confusion');
  table.replaceChildren();
  table.append(element('caption', {}, 'Confusion matrix'));
  const head = element('tr', {}, element('td', { className: 'corner' }, 'true \\ predicted'));
  for (const label of scores.labels) head.append(element('th', { scope: 'col' }, label));
  table.append(element('thead', {}, head));
  const body = element('tbody');
  scores.confusionMatrix.forEach((row, t) => {
    const tr = element('tr', {}, element('th', { scope: 'row' }, scores.labels[t]));
    // Green for correct predictions, red for mistakes; empty cells stay plain.
    row.forEach((count, p) => {
      let className = '';
      if (count > 0) className = t === p ? 'hit' : 'miss';
      tr.append(element('td', { className }, String(count)));
    });
    body.append(tr);
  });
  table.append(body);
  $('download-button').textContent = `Download adapter (${formatBytes(fileBytes)})`;
  $('evaluation').hidden = false;
}

function downloadAdapter() {
  if (!lastTrained) return;
  const blob = new Blob([lastTrained.bytes], { type: 'application/octet-stream' });
  const url = URL.createObjectURL(blob);
  const link = element('a', { href: url, download: `${lastTrained.name}.safetensors` });
  document.body.append(link);
  link.click();
  link.remove();
  // The download has its own copy once started; the object URL only has to live until then.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---------------------------------------------------------------------------------------------
// Wiring

function wireControls() {
  $('task').addEventListener('change', () => {
    showTaskInfo();
    classifyNow();
  });
  $('text').addEventListener('input', classifySoon);
  $('adapter-file').addEventListener('change', async (event) => {
    const [file] = event.target.files;
    // Cleared so that choosing the same file again still fires a change event.
    event.target.value = '';
    if (file) await loadAdapterFile(file);
  });

  let rowsTimer = 0;
  $('csv-text').addEventListener('input', () => {
    clearTimeout(rowsTimer);
    rowsTimer = setTimeout(readRows, 300);
  });
  $('csv-file').addEventListener('change', async (event) => {
    const [file] = event.target.files;
    event.target.value = '';
    if (!file) return;
    clearError('train-error');
    try {
      if (file.size > 50e6) throw new Error(`${file.name} is ${formatBytes(file.size)}; this page takes CSV files up to 50 MB.`);
      $('csv-text').value = await file.text();
      readRows();
    } catch (error) {
      showError('train-error', error, `Could not read ${file.name}: `);
    }
  });
  $('use-example').addEventListener('click', async () => {
    clearError('train-error');
    try {
      const response = await fetch('fixtures/example.csv', { cache: 'no-cache' });
      if (!response.ok) throw new Error(`fixtures/example.csv: HTTP ${response.status}`);
      $('csv-text').value = await response.text();
      readRows();
    } catch (error) {
      showError('train-error', error, 'Could not fetch the example rows: ');
    }
  });
  $('train-button').addEventListener('click', train);
  $('stop-button').addEventListener('click', () => {
    training?.abort();
    $('stop-button').disabled = true;
    $('train-status').textContent = 'Stopping after the current step…';
  });
  $('download-button').addEventListener('click', downloadAdapter);
  $('try-link').addEventListener('click', () => setTimeout(() => $('text').focus(), 0));
}

async function main() {
  wireControls();
  try {
    await loadModel();
  } catch (error) {
    $('model-status').dataset.state = 'error';
    $('model-progress').hidden = true;
    $('model-message').textContent = 'The base model could not be loaded.';
    showError('model-error', error);
    return;
  }
  await loadDemoAdapters();
  if (!tasks.size) rebuildTaskOptions();
  $('text').disabled = false;
  $('adapter-file').disabled = false;
  updateTrainButton();
  // The browser may have restored the text box on a reload.
  if ($('text').value.trim()) classifyNow();
}

main().catch((error) => showError('page-error', error, 'The page failed: '));
