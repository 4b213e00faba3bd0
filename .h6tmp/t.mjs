import { tableFromIPC } from 'apache-arrow';
import { arrowFileBytes, arrowTable, float64Column, int32Column, utf8Column } from '/work/main/dist/src/data/arrow.js';
const n = 12687;
const tries = {
  f64: { a: float64Column(new Float64Array(n)) },
  i32: { a: int32Column(new Int32Array(n)) },
  utf: { a: utf8Column(Array.from({length:n}, (_, i) => '2011-01-01T0' + (i%10))) },
  mix: { r: int32Column(new Int32Array(n)), y: float64Column(new Float64Array(n)), t: utf8Column(Array.from({length:n}, (_, i) => 'x'+i)) },
};
for (const [k, cols] of Object.entries(tries)) {
  const b = arrowFileBytes(arrowTable(cols));
  try { const t = tableFromIPC(b); console.log(k, 'ok', t.numRows, b.length); } catch (e) { console.log(k, e.message); }
}
