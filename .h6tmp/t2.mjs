import { tableFromIPC } from 'apache-arrow';
import { arrowFileBytes, arrowTable, float64Column, int32Column, utf8Column } from '/work/main/dist/src/data/arrow.js';
const n = 1000;
const big = new Float64Array(3000);
const view = big.subarray(1000, 2000);
const b = arrowFileBytes(arrowTable({ a: float64Column(view), t: utf8Column(Array.from({length:n}, (_, i) => i % 7 ? 'x' : '')) , h: float64Column(Float64Array.from({length:n}, (_, i) => NaN)) }));
try { const t = tableFromIPC(b); console.log('ok', t.numRows, b.length, t.getChild('a').toArray().length); } catch (e) { console.log(e.message); }
