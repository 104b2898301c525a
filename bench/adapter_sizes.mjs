// Prints the size of adapter files (F16) on a BERT-base-shaped model for bottleneck sizes 8, 16
// and 64, with and without per-task layer norms. Usage: node bench/adapter_sizes.mjs
import { loadBaseModel } from '../web/base_model.js';
import { writeRandomModel } from './random_model.mjs';

const folder = await writeRandomModel('bert-base', new URL('../build/bench-models/bert-base', import.meta.url).pathname);
const base = await loadBaseModel(folder);
process.stdout.write(`adapter files on a BERT-base-shaped model (${base.parameterCount} parameters), two labels, F16:\n`);
for (const size of [8, 16, 64]) {
  for (const layerNorm of [true, false]) {
    const adapter = base.createAdapter({ labels: ['negative', 'positive'], size, layerNorm });
    const bytes = adapter.toBytes({ dtype: 'f16' });
    process.stdout.write(
      `  m = ${String(size).padStart(2)}, per-task layer norms ${layerNorm ? 'yes' : 'no '}: ${String(bytes.length).padStart(8)} bytes ` +
        `(${(bytes.length / 1000).toFixed(0)} kB), ${adapter.parameterCount} trained parameters = ${((100 * adapter.parameterCount) / base.parameterCount).toFixed(2)}% of the base\n`,
    );
    adapter.dispose();
  }
}
base.dispose();
