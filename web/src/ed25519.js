// Ed25519 verification for the page: WebCrypto where the browser has it (Chrome 137+,
// Safari 17+, Firefox 129+), else @noble/ed25519 in its strict RFC 8032 mode (not ZIP-215),
// with @noble/hashes' SHA-512, which needs no secure context.
import * as noble from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";

noble.hashes.sha512 = sha512;

/** Pure JavaScript: strict RFC 8032, small-order keys refused (as libsodium does). */
export async function nobleVerify(publicKey, signature, message) {
  try {
    return noble.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

let webcrypto = null; // a promise of true/false: does this browser verify Ed25519 itself?

async function webcryptoWorks() {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return false;
  try {
    // RFC 8032 §7.1 test 1: the empty message
    const key = await subtle.importKey("raw", Uint8Array.from(atob(TEST_KEY), (c) => c.charCodeAt(0)),
      { name: "Ed25519" }, false, ["verify"]);
    return await subtle.verify({ name: "Ed25519" }, key,
      Uint8Array.from(atob(TEST_SIG), (c) => c.charCodeAt(0)), new Uint8Array(0));
  } catch {
    return false;
  }
}
const TEST_KEY = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
const TEST_SIG = "5VZDAMNgrHKQhuLMgG6CioSHfx645dl02HPgZSJJAVVfuIIVkKM7rMYeOXAc+bRr0lv18FlbviRlUUFDjnoQCw==";

const keys = new Map();

async function subtleVerify(publicKey, signature, message) {
  const id = publicKey.join(",");
  let key = keys.get(id);
  if (!key) {
    key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
    keys.set(id, key);
  }
  return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
}

/** The engine's name ("webcrypto" or "noble") and its verify function. */
export async function chooseEd25519(force = "") {
  if (force === "noble") return ["noble", nobleVerify];
  webcrypto ??= webcryptoWorks();
  return (await webcrypto) ? ["webcrypto", subtleVerify] : ["noble", nobleVerify];
}
