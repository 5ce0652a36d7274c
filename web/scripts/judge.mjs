// Verdicts of web/src/pg1.js for the texts on standard input, as a JSON list, with Node's
// own WebCrypto Ed25519 (no npm package needed): the Python tests compare them with
// passgen verify.   stdin: {"trust": TRUST_LIST, "at": UNIX_SECONDS, "texts": [...]}
import { readFileSync } from "node:fs";

import { trustFromJson, verify } from "../src/pg1.js";

const input = JSON.parse(readFileSync(0, "utf8"));
const trust = trustFromJson(input.trust);
const ed25519 = async (publicKey, signature, message) => {
  const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
};
const out = [];
for (const text of input.texts) out.push((await verify(text, trust, input.at, new Map(), ed25519)).status);
process.stdout.write(JSON.stringify(out));
