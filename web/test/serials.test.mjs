// SerialSet (web/src/pg1.js): the page's packed revocation lists, searched exactly.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";

import { SerialSet, revocationsFromJson } from "../src/pg1.js";

const hexOf = (b) => b.toString("hex").toUpperCase();

test("a packed list finds every serial in it and no other, bit for bit", () => {
  const serials = Array.from({ length: 5000 }, () => randomBytes(8)).sort(Buffer.compare);
  const set = SerialSet.fromPacked(Buffer.concat(serials).toString("base64"));
  assert.equal(set.size, 5000);
  for (const s of serials) assert.ok(set.has(hexOf(s)) && set.has(hexOf(s).toLowerCase()));
  for (const s of serials.slice(0, 500)) { // one bit away from a listed serial: not listed
    for (const bit of [0, 31, 32, 63]) {
      const near = Buffer.from(s);
      near[7 - (bit >> 3)] ^= 1 << (bit & 7);
      assert.equal(set.has(hexOf(near)), serials.some((t) => t.equals(near)));
    }
  }
  assert.deepEqual([...set.hex()], serials.map(hexOf));
  assert.equal(set.has("not a serial"), false);
  assert.equal(SerialSet.fromPacked("").size, 0);
});

test("hex and packed forms agree, and an office's lists are searched together", () => {
  const serials = ["FFFFFFFFFFFFFFFF", "0000000000000001", "8000000000000000"];
  const packed = Buffer.concat(serials.map((s) => Buffer.from(s, "hex")).sort(Buffer.compare)).toString("base64");
  assert.deepEqual([...SerialSet.fromHex(serials).hex()], [...SerialSet.fromPacked(packed).hex()]);
  assert.deepEqual(SerialSet.fromHex(serials).without(SerialSet.fromHex(serials.slice(1))),
    ["FFFFFFFFFFFFFFFF"]);
  const lists = revocationsFromJson([{ issuer: "A", packed }, { issuer: "A", serials: ["0102030405060708"] },
    { issuer: "B", serials: [] }]);
  assert.ok(lists.get("A").has("0102030405060708") && lists.get("A").has("8000000000000000"));
  assert.ok(!lists.get("B").has("8000000000000000"));
});
