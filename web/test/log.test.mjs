// The phone's log (web/src/log.js): appends one chunk a scan, never gives up a row that was
// not exported, and says so when the cap or a full storage is reached.
import assert from "node:assert/strict";
import { test } from "node:test";

import { CHUNK, LIMIT, Log } from "../src/log.js";

/** localStorage as a Map, refusing writes past ``quota`` characters; counts writes. */
function store(quota = Infinity) {
  const items = new Map();
  const used = () => [...items].reduce((n, [k, v]) => n + k.length + v.length, 0);
  return {
    items, writes: [],
    getItem: (k) => (items.has(k) ? items.get(k) : null),
    setItem(k, v) {
      const before = items.get(k);
      items.set(k, String(v));
      if (used() > quota) {
        if (before === undefined) items.delete(k); else items.set(k, before);
        throw new DOMException("full", "QuotaExceededError");
      }
      this.writes.push(k);
    },
    removeItem: (k) => items.delete(k),
  };
}

const row = (i) => [`2020-03-26T12:00:${String(i % 60).padStart(2, "0")}+08:00`, i.toString(16).padStart(16, "0"), "valid", "green"];

test("a scan writes its own chunk, not the whole log, and the log reads back", () => {
  const s = store();
  const log = new Log(s);
  for (let i = 0; i < CHUNK * 2 + 3; i++) log.append(row(i));
  s.writes.length = 0;
  log.append(row(9999));
  assert.deepEqual(s.writes, ["passgen-log-2"]);
  const again = new Log(s);
  assert.equal(again.length, CHUNK * 2 + 4);
  assert.deepEqual(again.rows().at(-1), row(9999));
});

test("past the cap only exported rows are given up, and the worker is warned first", () => {
  const log = new Log(store());
  for (let i = 0; i < LIMIT * 0.9; i++) log.append(row(i));
  assert.match(log.warning(), /快满了/);
  for (let i = 0; i < LIMIT * 0.1 + 10; i++) log.append(row(i));
  assert.equal(log.length, LIMIT + 10); // nothing exported: nothing given up
  assert.match(log.warning(), /未导出/);
  log.markExported();
  assert.equal(log.warning(), ""); // at once, not when new scans push the exported rows out
  assert.ok(log.length <= LIMIT && log.length > LIMIT - CHUNK);
  log.append(row(1));
  assert.ok(log.length <= LIMIT && log.length > LIMIT - CHUNK);
  assert.equal(log.unexported, 1);
  assert.equal(log.warning(), "");
});

test("a full storage keeps every unexported row in the page and says so", () => {
  const s = store(60_000);
  const log = new Log(s);
  let refused = 0;
  for (let i = 0; i < 1500; i++) refused += !log.append(row(i));
  assert.ok(refused > 0);
  assert.equal(log.length, 1500);
  assert.equal(log.unsaved, refused);
  assert.match(log.warning(), /存储已满/);
  log.markExported(); // exported: the page may now give up old chunks to save the new rows
  log.append(row(1501));
  assert.equal(log.unsaved, 0);
  assert.ok(new Log(s).rows().some((r) => r[1] === row(1501)[1]));
});

test("a log an earlier page kept in one key is taken over whole", () => {
  const s = store();
  s.setItem("passgen-checkpoint-log", JSON.stringify(Array.from({ length: 1234 }, (_, i) => row(i))));
  const log = new Log(s);
  assert.equal(log.length, 1234);
  assert.equal(s.getItem("passgen-checkpoint-log"), null);
  assert.equal(new Log(s).length, 1234);
  log.clear();
  assert.equal(new Log(s).length, 0);
});
