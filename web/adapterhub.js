// Moving adapters between AdapterHub's `adapters` library (Python) and adapterkit.
//
// AdapterHub saves an adapter as adapter_config.json + adapter.safetensors and its head as
// head_config.json + model_head.safetensors (save_adapter(..., with_head=True,
// use_safetensors=True)). Its Houlsby configuration (DoubleSeqBnConfig) computes the same
// LayerNorm(x + s + up(act(down(s)))) as adapterkit, and tensor names differ only in the model
// prefix ("bert.") and the adapter name, so the conversion is a renaming plus config checks.

import { AdapterkitError, ErrorCode } from './errors.js';
import { ADAPTER_FORMAT, ADAPTER_FORMAT_VERSION } from './adapter.js';
import { readSafetensorsHeader, writeSafetensors } from './safetensors.js';

const ACTIVATIONS = { swish: 'swish', silu: 'swish', relu: 'relu', gelu: 'gelu', tanh: 'tanh' };

function mismatch(file, field, seen, expected) {
  return new AdapterkitError(
    ErrorCode.INCOMPATIBLE,
    `${file}: ${field} is ${JSON.stringify(seen)}, expected ${expected}; adapterkit implements AdapterHub's Houlsby (DoubleSeqBnConfig) adapters only`,
  );
}

/** Reads every tensor of a safetensors file as Float32Array (F32, F16 or BF16). */
export function readTensors(bytes, fileName) {
  const { header } = readSafetensorsHeader(bytes, fileName);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataStart = 8 + Number(view.getBigUint64(0, true));
  const tensors = new Map();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [begin, end] = info.data_offsets;
    const count = info.shape.reduce((a, b) => a * b, 1);
    const size = { F32: 4, F16: 2, BF16: 2 }[info.dtype];
    if (!size) throw new AdapterkitError(ErrorCode.INVALID_FILE, `${fileName}: tensor '${name}' has unsupported dtype ${info.dtype}; expected F32, F16 or BF16`);
    if (end - begin !== count * size || dataStart + end > bytes.length) {
      throw new AdapterkitError(ErrorCode.INVALID_FILE, `${fileName}: tensor '${name}' offsets [${begin}, ${end}] do not fit its shape [${info.shape}] or the file`);
    }
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const at = dataStart + begin + i * size;
      if (info.dtype === 'F32') data[i] = view.getFloat32(at, true);
      else if (info.dtype === 'BF16') data[i] = new Float32Array(new Uint32Array([view.getUint16(at, true) << 16]).buffer)[0];
      else data[i] = halfToFloat(view.getUint16(at, true));
    }
    tensors.set(name, { shape: info.shape, data });
  }
  return tensors;
}

function halfToFloat(bits) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/**
 * Converts an adapter saved by AdapterHub into an adapterkit adapter on `base`.
 * @param {import('./base_model.js').BaseModel} base the base model it was trained on
 * @param {object} files
 * @param {object} files.adapterConfig parsed adapter_config.json
 * @param {Uint8Array} files.adapterWeights adapter.safetensors
 * @param {object} files.headConfig parsed head_config.json
 * @param {Uint8Array} files.headWeights model_head.safetensors
 * @param {Uint8Array} [files.layerNorms] optional per-task layer norms, tensors named
 *   encoder.layer.{i}.attention.output.LayerNorm.weight etc.
 * @param {{ name?: string }} [options] adapterkit name (default: AdapterHub's, with '_' kept)
 * @returns {Promise<import('./adapter.js').Adapter>}
 * @throws {AdapterkitError} INCOMPATIBLE for configurations adapterkit does not implement
 *   (parallel adapters, gating, extra layer norms, scaling other than 1, other head types)
 */
export async function importAdapterHub(base, files, options = {}) {
  const { adapterConfig, adapterWeights, headConfig, headWeights, layerNorms } = files;
  const config = adapterConfig?.config;
  const file = 'adapter_config.json';
  if (!config || typeof config !== 'object') throw new AdapterkitError(ErrorCode.INVALID_FILE, `${file}: missing the 'config' object`);
  const required = { mh_adapter: true, output_adapter: true, original_ln_after: true, original_ln_before: false, residual_before_ln: true, ln_before: false, ln_after: false, is_parallel: false, use_gating: false, scaling: 1.0, phm_layer: false };
  for (const [field, expected] of Object.entries(required)) {
    if (field === 'mh_adapter' || field === 'output_adapter') continue;
    if (config[field] !== undefined && config[field] !== expected) throw mismatch(file, `config.${field}`, config[field], JSON.stringify(expected));
  }
  if (!config.mh_adapter && !config.output_adapter) throw mismatch(file, 'config.mh_adapter/output_adapter', false, 'at least one of them true');
  const nonLinearity = ACTIVATIONS[String(config.non_linearity).toLowerCase()];
  if (!nonLinearity) throw mismatch(file, 'config.non_linearity', config.non_linearity, 'swish, silu, relu, gelu or tanh');
  const hubName = adapterConfig.name;
  const name = (options.name ?? hubName ?? 'adapter').replace(/[^A-Za-z0-9_-]/g, '_');
  const nLayers = base.config.numHiddenLayers;
  const leaveOut = new Set(config.leave_out ?? []);
  const layers = Array.from({ length: nLayers }, (_, i) => i).filter((i) => !leaveOut.has(i));

  const head = headConfig?.config;
  if (!head || head.head_type !== 'classification') throw mismatch('head_config.json', 'config.head_type', head?.head_type, '"classification"');
  if (head.layers !== 1 && head.layers !== 2) throw mismatch('head_config.json', 'config.layers', head.layers, '1 or 2');
  const headActivation = ACTIVATIONS[String(head.activation_function ?? 'tanh').toLowerCase()];
  if (!headActivation) throw mismatch('head_config.json', 'config.activation_function', head.activation_function, 'tanh, relu, gelu or swish');
  const labels = Object.entries(head.label2id ?? {}).sort((a, b) => a[1] - b[1]).map(([label]) => label);
  if (labels.length !== head.num_labels) {
    throw new AdapterkitError(ErrorCode.INVALID_FILE, `head_config.json: label2id has ${labels.length} labels but num_labels is ${head.num_labels}`);
  }

  // tensors: drop the model prefix, use adapterkit's adapter name
  const adapterTensors = readTensors(adapterWeights, 'adapter.safetensors');
  const out = [];
  let size = null;
  for (const [key, tensor] of adapterTensors) {
    const match = /(?:^|\.)encoder\.layer\.(\d+)\.(attention\.output|output)\.adapters\.([^.]+)\.(adapter_down\.0\.weight|adapter_down\.0\.bias|adapter_up\.weight|adapter_up\.bias)$/.exec(key);
    if (!match) throw new AdapterkitError(ErrorCode.INCOMPATIBLE, `adapter.safetensors: tensor '${key}' is not part of a Houlsby bottleneck adapter`);
    if (match[4] === 'adapter_down.0.weight') size = tensor.shape[0];
    out.push({ name: `encoder.layer.${match[1]}.${match[2]}.adapters.${name}.${match[4]}`, shape: tensor.shape, data: tensor.data });
  }
  const hasLayerNorms = Boolean(layerNorms);
  if (hasLayerNorms) {
    for (const [key, tensor] of readTensors(layerNorms, 'layer_norms.safetensors')) {
      const match = /(?:^|\.)(encoder\.layer\.\d+\.(?:attention\.output|output)\.LayerNorm\.(?:weight|bias))$/.exec(key);
      if (!match) throw new AdapterkitError(ErrorCode.INVALID_FILE, `layer_norms.safetensors: tensor '${key}' is not a layer's LayerNorm parameter`);
      out.push({ name: match[1], shape: tensor.shape, data: tensor.data });
    }
  }
  for (const [key, tensor] of readTensors(headWeights, 'model_head.safetensors')) {
    const match = /^heads\.[^.]+\.(\d+)\.(weight|bias)$/.exec(key);
    if (!match) throw new AdapterkitError(ErrorCode.INCOMPATIBLE, `model_head.safetensors: tensor '${key}' is not a classification head layer`);
    out.push({ name: `heads.${name}.${match[1]}.${match[2]}`, shape: tensor.shape, data: tensor.data });
  }
  if (size === null) throw new AdapterkitError(ErrorCode.INVALID_FILE, 'adapter.safetensors: no adapter_down.0.weight tensor found');

  const ours = {
    version: ADAPTER_FORMAT_VERSION,
    name,
    adapter: { size, nonLinearity, layers, sites: [...(config.mh_adapter ? ['attention'] : []), ...(config.output_adapter ? ['feedForward'] : [])], layerNorm: hasLayerNorms },
    head: { input: head.use_pooler ? 'pooler' : 'cls', normalize: false, layers: head.layers, activation: headActivation, labels },
    base: base._baseDescription(),
    importedFrom: { library: adapterConfig.version ?? 'adapters', name: hubName },
  };
  const bytes = writeSafetensors(out, { format: ADAPTER_FORMAT, adapterkit: JSON.stringify(ours) }, 'f32');
  return base.loadAdapter(bytes, { fileName: `AdapterHub adapter '${hubName}'` });
}

/**
 * Converts an adapterkit adapter into AdapterHub's saved layout.
 * @param {import('./adapter.js').Adapter} adapter
 * @returns {{ 'adapter_config.json': string, 'adapter.safetensors': Uint8Array, 'head_config.json': string, 'model_head.safetensors': Uint8Array }}
 * @throws {AdapterkitError} INCOMPATIBLE when the adapter has per-task layer norms, a
 *   mean-pooled or normalised head input, which AdapterHub's classification head cannot express
 */
export function exportAdapterHub(adapter, options = {}) {
  const c = adapter.config;
  if (c.adapter.layerNorm) {
    throw new AdapterkitError(ErrorCode.INCOMPATIBLE, `adapter '${c.name}' trains per-task layer norms, which AdapterHub adapters do not have; create it with layerNorm: false to export it`);
  }
  if (c.head.input === 'mean' || c.head.normalize) {
    throw new AdapterkitError(ErrorCode.INCOMPATIBLE, `adapter '${c.name}' has a head on the ${c.head.normalize ? 'normalised ' : ''}${c.head.input} output; AdapterHub's classification head reads [CLS] or the pooler only`);
  }
  const modelPrefix = options.modelPrefix ?? 'bert.';
  const hubName = c.name.replace(/-/g, '_');
  const nLayers = adapter.base.config.numHiddenLayers;
  const adapterTensors = [];
  const headTensors = [];
  for (const t of adapter.tensors()) {
    if (t.name.startsWith('heads.')) headTensors.push({ ...t, name: t.name.replace(/^heads\.[^.]+\./, `heads.${hubName}.`) });
    else adapterTensors.push({ ...t, name: modelPrefix + t.name.replace(/\.adapters\.[^.]+\./, `.adapters.${hubName}.`) });
  }
  const hidden = adapter.base.config.hiddenSize;
  const adapterConfig = {
    config: {
      mh_adapter: c.adapter.sites.includes('attention'),
      output_adapter: c.adapter.sites.includes('feedForward'),
      reduction_factor: hidden / c.adapter.size,
      non_linearity: c.adapter.nonLinearity,
      original_ln_before: false,
      original_ln_after: true,
      ln_before: false,
      ln_after: false,
      residual_before_ln: true,
      adapter_residual_before_ln: false,
      init_weights: 'bert',
      is_parallel: false,
      scaling: 1.0,
      use_gating: false,
      dropout: 0.0,
      leave_out: Array.from({ length: nLayers }, (_, i) => i).filter((i) => !c.adapter.layers.includes(i)),
      phm_layer: false,
      cross_adapter: false,
      inv_adapter: null,
      inv_adapter_reduction_factor: null,
      stochastic_depth: 0.0,
    },
    hidden_size: hidden,
    model_class: 'BertAdapterModel',
    model_name: adapter.base.location ?? 'bert',
    model_type: 'bert',
    name: hubName,
    version: 'adapters.1.3.0',
  };
  const headConfig = {
    config: {
      head_type: 'classification',
      num_labels: c.head.labels.length,
      layers: c.head.layers,
      activation_function: c.head.activation,
      label2id: Object.fromEntries(c.head.labels.map((label, i) => [label, i])),
      use_pooler: c.head.input === 'pooler',
      bias: true,
      dropout_prob: null,
    },
    hidden_size: hidden,
    model_class: 'BertAdapterModel',
    model_name: adapter.base.location ?? 'bert',
    model_type: 'bert',
    name: hubName,
    version: 'adapters.1.3.0',
  };
  // AdapterHub reads scaling as a float or a keyword; JSON.stringify writes 1.0 as 1.
  const adapterConfigText = JSON.stringify(adapterConfig, null, 2).replace(/"scaling": 1(?=[,\n])/, '"scaling": 1.0');
  return {
    'adapter_config.json': adapterConfigText,
    'adapter.safetensors': writeSafetensors(adapterTensors, { format: 'pt' }, 'f32'),
    'head_config.json': JSON.stringify(headConfig, null, 2),
    'model_head.safetensors': writeSafetensors(headTensors, { format: 'pt' }, 'f32'),
  };
}
