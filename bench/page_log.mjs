// Benchmark: what one scan costs the phone page's log at 20,000 rows (issue #28).
//
//     node bench/page_log.mjs
//
// The log (web/src/log.js) appends into chunks of 500 rows; before, every scan rewrote the
// whole log as one JSON string (27 ms at 20,000 rows on a phone, 194 ms at 6× slowdown).
// Here both run in Node against an in-memory store, five rounds each: the ratio is the point.
import { Log } from "../web/src/log.js";

const items = new Map();
const store = {
  getItem: (k) => items.get(k) ?? null,
  setItem: (k, v) => items.set(k, String(v)),
  removeItem: (k) => items.delete(k),
};
const log = new Log(store);
const row = (i) => ["2020-03-26T12:00:00+08:00", i.toString(16).padStart(16, "0").toUpperCase(), "valid", "green"];
for (let i = 0; i < 19000; i++) log.append(row(i));
const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
const appends = [];
for (let r = 0; r < 5; r++) {
  const t = performance.now();
  for (let i = 0; i < 200; i++) log.append(row(i));
  appends.push((performance.now() - t) / 200);
}
const all = log.rows();
const rewrites = [];
for (let r = 0; r < 5; r++) {
  const t = performance.now();
  for (let i = 0; i < 20; i++) store.setItem("whole", JSON.stringify(all));
  rewrites.push((performance.now() - t) / 20);
}
console.log(`log of ${log.length} rows: a scan appended ${median(appends).toFixed(3)} ms (median of 5 × 200); `
  + `the whole log rewritten ${median(rewrites).toFixed(2)} ms (median of 5 × 20)`);
