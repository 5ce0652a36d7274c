// Every file in tests/vectors/ through the page's verifier, with each Ed25519 engine:
// the verdict and each stage's fact must be what passgen verify gives.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { chooseEd25519, nobleVerify } from "../src/ed25519.js";
import { decodeCbor, hex, trustFromJson, unbase45, verify } from "../src/pg1.js";

const folder = fileURLToPath(new URL("../../tests/vectors/", import.meta.url));
const vectors = readdirSync(folder).filter((f) => f.endsWith(".json")).sort()
  .map((f) => JSON.parse(readFileSync(folder + f, "utf8")));

/** The stage facts the Python tests compare (tests/passes/test_vectors.py: stages_seen). */
export function stagesSeen(text, result) {
  const seen = { prefix: text.startsWith("PG1:") };
  let cose = null;
  try { cose = unbase45(text); seen.base45 = true; } catch { seen.base45 = false; }
  try { seen.cbor = cose !== null && decodeCbor(cose) !== null; } catch { seen.cbor = false; }
  Object.assign(seen, { cose: result.structureOk, key: result.keyKnown,
    signature: result.signatureValid, claims: result.claims !== null,
    key_window: result.withinKeyWindow, validity: result.withinValidity });
  return seen;
}

const at = (iso) => Date.parse(iso) / 1000;

test("there are vectors of every verdict but revoked", () => {
  const statuses = new Set(vectors.map((v) => v.expected.status));
  assert.deepEqual([...statuses].sort(), ["bad-signature", "expired", "malformed",
    "not-yet-valid", "unknown-key", "valid"]);
  assert.ok(vectors.length >= 35);
});

for (const engine of ["webcrypto", "noble"]) {
  test(`Node has the ${engine} engine`, async () => {
    const [name] = await chooseEd25519(engine === "noble" ? "noble" : "");
    assert.equal(name, engine);
  });
  for (const vec of vectors) {
    test(`${vec.name} (${engine})`, async () => {
      const [, ed] = await chooseEd25519(engine === "noble" ? "noble" : "");
      const result = await verify(vec.text, trustFromJson(vec.trust), at(vec.at), new Map(), ed);
      assert.equal(result.status, vec.expected.status, result.reason);
      assert.deepEqual(stagesSeen(vec.text, result), vec.expected.stages);
      if (result.claims && vec.claims) {
        const c = vec.claims;
        assert.equal(result.claims.issuer, c["1_issuer"]);
        assert.equal(result.claims.expires, BigInt(c["4_expires"]));
        assert.equal(result.claims.issuedAt, BigInt(c["6_issued_at"]));
        assert.equal(hex(result.claims.serial), c["7_serial"]);
        assert.equal(result.claims.name, c["-1_name"]);
        assert.equal(result.claims.maskedId, c["-2_masked_id"]);
        assert.equal(result.claims.colour, c["-3_colour"]);
      }
    });
  }
}

test("a revoked serial is revoked only for its own issuer", async () => {
  const vec = vectors.find((v) => v.expected.status === "valid");
  const serial = vec.claims["7_serial"];
  const trust = trustFromJson(vec.trust);
  const mine = new Map([[vec.claims["1_issuer"], new Set([serial])]]);
  const other = new Map([["NC-OTHER", new Set([serial])]]);
  assert.equal((await verify(vec.text, trust, at(vec.at), mine, nobleVerify)).status, "revoked");
  assert.equal((await verify(vec.text, trust, at(vec.at), other, nobleVerify)).status, "valid");
});

test("a changed character is never valid, whatever it is", async () => {
  const vec = vectors.find((v) => v.expected.status === "valid");
  const trust = trustFromJson(vec.trust);
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  for (let i = 4; i < vec.text.length; i += 7) {
    const c = alphabet[(alphabet.indexOf(vec.text[i]) + 1) % alphabet.length];
    const text = vec.text.slice(0, i) + c + vec.text.slice(i + 1);
    const result = await verify(text, trust, at(vec.at), new Map(), nobleVerify);
    assert.notEqual(result.status, "valid", text);
  }
});
