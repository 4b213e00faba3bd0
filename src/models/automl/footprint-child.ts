/** Child of footprint.ts: predicts a table with a model folder as `sciml predict` does, then reports its peak RSS. */
import { readTable } from '../../data/read-table.js';
import { loadAutomlPredictor, predictAutoml } from './predict.js';

const [modelDir, input] = process.argv.slice(2);
const model = await loadAutomlPredictor(modelDir);
const table = await readTable(input);
const predictions = predictAutoml(model, table);
// resourceUsage().maxRSS is in KiB.
process.send!({ bytes: process.resourceUsage().maxRSS * 1024, rows: predictions.rows }, () => process.exit(0));
