// PG1 passes in the browser: Base45, CBOR, COSE_Sign1 and the verdict of `passgen verify`.
//
// A port of passgen/passes/pg1.py and passgen/check/verify.py (docs/FORMAT.md): the same
// checks in the same order, the same seven verdicts.  Ed25519 itself is not here: `verify`
// takes a function `(publicKey, signature, message) => Promise<boolean>` (see ed25519.js), so
// this module runs unchanged in Node, where tests/vectors/*.json check it, and in the page.
//
// Lengths are counted in code points, as Python counts them.  Integers above 2^53 are BigInt.

export const PREFIX = "PG1:";
export const MAX_TEXT = 1024;
export const VERDICTS = ["valid", "expired", "not-yet-valid", "revoked", "bad-signature",
  "unknown-key", "malformed"];
const DAY = 86400n;
const SHANGHAI = 8n * 3600n;
const DEFAULT_MAX_VALIDITY_DAYS = 60;

export class FormatProblem extends Error {
  constructor(stage, message) {
    super(message);
    this.stage = stage;
  }
}

// ---- text ----------------------------------------------------------------------------

// Python's str.strip(): its whitespace differs from JavaScript's trim() (\x1c-\x1f, \x85 are
// whitespace there, U+FEFF is not).
const PY_SPACE = "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, "gu");
export const pyStrip = (text) => text.replace(PY_STRIP, "");
export const codePoints = (text) => [...text].length;

// ---- Base45 (RFC 9285) ----------------------------------------------------------------

const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
const B45_VALUE = new Int16Array(128).fill(-1);
for (let i = 0; i < B45.length; i++) B45_VALUE[B45.charCodeAt(i)] = i;

/** Strict Base45 decoding: a Uint8Array, or a thrown Error. */
export function b45decode(text) {
  const n = text.length;
  if (n % 3 === 1) throw new Error("not Base45");
  const out = new Uint8Array(Math.floor(n / 3) * 2 + (n % 3 === 2 ? 1 : 0));
  const value = (i) => {
    const c = text.charCodeAt(i);
    const v = c < 128 ? B45_VALUE[c] : -1;
    if (v < 0) throw new Error("not Base45");
    return v;
  };
  let o = 0;
  for (let i = 0; i + 2 < n; i += 3) {
    const w = value(i) + 45 * value(i + 1) + 2025 * value(i + 2);
    if (w > 0xffff) throw new Error("not Base45");
    out[o++] = w >> 8;
    out[o++] = w & 0xff;
  }
  if (n % 3 === 2) {
    const w = value(n - 2) + 45 * value(n - 1);
    if (w > 0xff) throw new Error("not Base45");
    out[o++] = w;
  }
  return out;
}

// ---- CBOR (RFC 8949) -----------------------------------------------------------------
//
// decodeCbor reads every well-formed item cbor2 reads (indefinite lengths included) and
// notes whether the encoding was deterministic (§4.2.1: shortest heads, definite lengths,
// map keys in increasing bytewise order, shortest floats).  Values: numbers or BigInt,
// Uint8Array, strings, arrays, Map (keyed by keyId, each entry {key, value}), Tagged, Simple,
// Float, booleans, null, undefined.

export class Tagged {
  constructor(tag, value) { this.tag = tag; this.value = value; }
}
export class Simple {
  constructor(value) { this.value = value; }
}
// A float stays apart from integers: 0.0 as a map key is not the claim key 0, and 4.0 is no
// uint (Python tells them apart by type; JavaScript numbers cannot).
export class Float {
  constructor(value) { this.value = value; }
}

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const SELF_DESCRIBE = 55799n; // cbor2 returns the item inside this tag as it is
const MAX_DEPTH = 1000; // a PG1 text holds at most 680 bytes

function halfToNumber(h) {
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function fitsHalf(v) {
  if (!Number.isFinite(v)) return true;
  if (v === 0) return true;
  const a = Math.abs(v);
  if (a > 65504) return false;
  // a half holds multiples of 2^-24 below 2^-14, and 11 significant bits above
  const e = Math.max(Math.floor(Math.log2(a)), -14);
  const step = 2 ** (e - 10);
  return Number.isInteger(a / step) && a / step < 2048;
}

class Reader {
  constructor(bytes) {
    this.b = bytes;
    this.p = 0;
    this.canonical = true;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  need(n) {
    if (this.p + n > this.b.length) throw new Error("truncated");
  }

  byte() {
    this.need(1);
    return this.b[this.p++];
  }

  // the argument of a head: a number, BigInt above 2^53, or null for indefinite length
  argument(ai) {
    if (ai < 24) return ai;
    let v;
    if (ai === 24) {
      v = this.byte();
      if (v < 24) this.canonical = false;
    } else if (ai === 25) {
      this.need(2); v = this.view.getUint16(this.p); this.p += 2;
      if (v < 0x100) this.canonical = false;
    } else if (ai === 26) {
      this.need(4); v = this.view.getUint32(this.p); this.p += 4;
      if (v < 0x10000) this.canonical = false;
    } else if (ai === 27) {
      this.need(8); const big = this.view.getBigUint64(this.p); this.p += 8;
      if (big < 0x100000000n) this.canonical = false;
      v = big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    } else if (ai === 31) {
      this.canonical = false;
      return null;
    } else {
      throw new Error("reserved additional information");
    }
    return v;
  }

  length(ai) {
    const n = this.argument(ai);
    if (typeof n === "bigint") throw new Error("too long");
    return n;
  }

  item(depth = 0) {
    if (depth > MAX_DEPTH) throw new Error("nested too deeply");
    const start = this.p;
    const ib = this.byte();
    const major = ib >> 5;
    const ai = ib & 0x1f;
    switch (major) {
      case 0: {
        const v = this.argument(ai);
        if (v === null) throw new Error("indefinite integer");
        return v;
      }
      case 1: {
        const v = this.argument(ai);
        if (v === null) throw new Error("indefinite integer");
        const neg = -1n - BigInt(v);
        return neg >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(neg) : neg;
      }
      case 2: case 3: {
        const bytes = this.string(major, ai);
        if (major === 2) return bytes;
        try { return UTF8.decode(bytes); } catch { throw new Error("invalid UTF-8"); }
      }
      case 4: {
        const n = this.length(ai);
        const out = [];
        if (n === null) {
          while (this.peekBreak() === false) out.push(this.item(depth + 1));
        } else {
          for (let i = 0; i < n; i++) out.push(this.item(depth + 1));
        }
        return out;
      }
      case 5: {
        const n = this.length(ai);
        const map = new Map();
        let previous = null;
        const entry = () => {
          const keyStart = this.p;
          const key = this.item(depth + 1);
          const bytes = this.b.subarray(keyStart, this.p);
          if (previous !== null && compareBytes(previous, bytes) >= 0) this.canonical = false;
          previous = bytes;
          const value = this.item(depth + 1);
          map.set(keyId(key, bytes), { key, value });
        };
        if (n === null) {
          while (this.peekBreak() === false) entry();
        } else {
          for (let i = 0; i < n; i++) entry();
        }
        return map;
      }
      case 6: {
        const tag = this.argument(ai);
        if (tag === null) throw new Error("indefinite tag");
        const value = this.item(depth + 1);
        if (BigInt(tag) === SELF_DESCRIBE) {
          this.canonical = false; // cbor2 drops it: re-encoded, the bytes differ
          return value;
        }
        return new Tagged(BigInt(tag), value);
      }
      default:
        return this.special(ai, start);
    }
  }

  peekBreak() {
    this.need(1);
    if (this.b[this.p] === 0xff) {
      this.p++;
      return true;
    }
    return false;
  }

  string(major, ai) {
    const n = this.length(ai);
    if (n !== null) {
      this.need(n);
      const out = this.b.slice(this.p, this.p + n);
      this.p += n;
      return out;
    }
    const chunks = [];
    while (!this.peekBreak()) {
      const ib = this.byte();
      if (ib >> 5 !== major || (ib & 0x1f) === 31) throw new Error("bad chunk");
      chunks.push(this.string(major, ib & 0x1f));
    }
    const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
    let o = 0;
    for (const c of chunks) { out.set(c, o); o += c.length; }
    return out;
  }

  special(ai) {
    if (ai < 20) return new Simple(ai);
    if (ai === 20) return false;
    if (ai === 21) return true;
    if (ai === 22) return null;
    if (ai === 23) return undefined;
    if (ai === 24) {
      const v = this.byte();
      if (v < 32) throw new Error("invalid simple value");
      return new Simple(v);
    }
    let v;
    if (ai === 25) {
      this.need(2); v = halfToNumber(this.view.getUint16(this.p)); this.p += 2;
      if (Number.isNaN(v) && this.b[this.p - 2] !== 0x7e) this.canonical = false;
      if (Number.isNaN(v) && this.b[this.p - 1] !== 0x00) this.canonical = false;
      return new Float(v);
    }
    if (ai === 26) {
      this.need(4); v = this.view.getFloat32(this.p); this.p += 4;
    } else if (ai === 27) {
      this.need(8); v = this.view.getFloat64(this.p); this.p += 8;
      if (Math.fround(v) === v) this.canonical = false;
    } else {
      throw new Error("unexpected break or reserved value");
    }
    if (Number.isNaN(v) || fitsHalf(v)) this.canonical = false;
    return new Float(v);
  }
}

function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

// A map key as cbor2 would hash it, as far as PG1 cares: integers and text by value (claims
// are looked up this way), anything else by its bytes (claims refuse such keys anyway).
function keyId(key, bytes) {
  if (typeof key === "number" || typeof key === "bigint") return `i${BigInt(key)}`;
  if (typeof key === "string") return `s${key}`;
  return `b${Array.from(bytes).join(",")}`;
}

/** One CBOR item that must use every byte: {value, canonical}; FormatProblem otherwise. */
export function decodeCbor(bytes, stage = "cbor") {
  const reader = new Reader(bytes);
  let value;
  try {
    value = reader.item();
  } catch (exc) {
    throw new FormatProblem(stage, `not valid CBOR (${exc.message})`);
  }
  if (reader.p !== bytes.length) throw new FormatProblem(stage, "trailing bytes after the CBOR item");
  return { value, canonical: reader.canonical };
}

// ---- COSE_Sign1 ----------------------------------------------------------------------

const PROTECTED_PREFIX = [0xa2, 0x01, 0x27, 0x04, 0x48]; // {1: -8, 4: bstr(8)}
const SIG1_HEAD = [0x84, 0x6a, ...new TextEncoder().encode("Signature1")];

function bstrHead(size) {
  if (size < 24) return [0x40 + size];
  if (size < 0x100) return [0x58, size];
  if (size < 0x10000) return [0x59, size >> 8, size & 0xff];
  return [0x5a, (size >>> 24) & 0xff, (size >> 16) & 0xff, (size >> 8) & 0xff, size & 0xff];
}

/** The bytes Ed25519 signs: ["Signature1", protected, h'', payload] (RFC 9052 §4.4). */
export function sigStructure(protectedBytes, payload) {
  const head = [...SIG1_HEAD, ...bstrHead(protectedBytes.length)];
  const middle = [0x40, ...bstrHead(payload.length)];
  const out = new Uint8Array(head.length + protectedBytes.length + middle.length + payload.length);
  out.set(head, 0);
  out.set(protectedBytes, head.length);
  out.set(middle, head.length + protectedBytes.length);
  out.set(payload, head.length + protectedBytes.length + middle.length);
  return out;
}

/** PG1 text → COSE bytes. */
export function unbase45(text) {
  if (!text.startsWith(PREFIX)) throw new FormatProblem("prefix", "does not start with PG1:");
  if (codePoints(text) > MAX_TEXT) throw new FormatProblem("base45", `longer than ${MAX_TEXT} characters`);
  try {
    return b45decode(text.slice(PREFIX.length));
  } catch {
    throw new FormatProblem("base45", "not valid Base45");
  }
}

/** COSE bytes → {protected, kid, payload, signature}: the structure of DESIGN.md §5. */
export function unpackCose(cose) {
  const { value } = decodeCbor(cose);
  if (!(value instanceof Tagged) || value.tag !== 18n) throw new FormatProblem("cose", "not a COSE_Sign1 (CBOR tag 18)");
  const parts = value.value;
  if (!Array.isArray(parts) || parts.length !== 4) throw new FormatProblem("cose", "COSE_Sign1 is not an array of 4");
  const [prot, unprotected, payload, signature] = parts;
  if (!(prot instanceof Uint8Array && payload instanceof Uint8Array
        && signature instanceof Uint8Array && unprotected instanceof Map)) {
    throw new FormatProblem("cose", "COSE_Sign1 members have the wrong types");
  }
  if (signature.length !== 64) throw new FormatProblem("cose", "signature is not 64 bytes");
  if (prot.length !== 13 || PROTECTED_PREFIX.some((b, i) => prot[i] !== b)) {
    throw new FormatProblem("cose", "protected header is not exactly {1: -8, 4: kid}");
  }
  if (unprotected.size) throw new FormatProblem("cose", "unprotected header is not empty");
  if (!sameBytes(envelope(prot, payload, signature), cose)) {
    // the same members written another way (indefinite or long lengths, tag 18 written
    // long, another tag around it…): one card has one text (passgen.passes.pg1.envelope)
    throw new FormatProblem("cose", "COSE_Sign1 is not written in its one encoding (DESIGN.md §5)");
  }
  return { protected: prot, kid: prot.slice(5), payload, signature };
}

/** tag 18 [protected, {}, payload, signature] in deterministic CBOR: the one encoding. */
function envelope(prot, payload, signature) {
  const parts = [[0xd2, 0x84, ...bstrHead(prot.length)], prot, [0xa0, ...bstrHead(payload.length)],
    payload, bstrHead(signature.length), signature];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

const sameBytes = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

// ---- claims --------------------------------------------------------------------------

const uint = (v) => (typeof v === "number" && Number.isInteger(v) && v >= 0) || (typeof v === "bigint" && v >= 0n);
const CLAIMS = [
  [1, "issuer", (v) => typeof v === "string" && v.length > 0 && codePoints(v) <= 16],
  [4, "expires", uint],
  [6, "issuedAt", uint],
  [7, "serial", (v) => v instanceof Uint8Array && v.length === 8],
  [-1, "name", (v) => typeof v === "string" && v.length > 0],
  [-2, "maskedId", (v) => typeof v === "string" && codePoints(v) === 18],
  [-3, "colour", (v) => v === 0 || v === 1 || v === 2],
  [-4, "category", (v) => v === 0 || v === 1 || v === 2],
  [-5, "rulesVersion", (v) => v instanceof Uint8Array && v.length === 4],
];

// Every map key an integer or text, no tag anywhere (passgen.passes.pg1.plain_claims).
function plainTree(v) {
  if (v instanceof Tagged) return false;
  if (Array.isArray(v)) return v.every(plainTree);
  if (v instanceof Map) {
    for (const { key, value } of v.values()) {
      const intKey = (typeof key === "number" && Number.isInteger(key)) || typeof key === "bigint";
      if (!(intKey || typeof key === "string") || !plainTree(value)) return false;
    }
  }
  return true;
}

/** Payload bytes → claims; unknown keys are ignored, known ones must have their type. */
export function decodeClaims(payload) {
  let decoded;
  try {
    decoded = decodeCbor(payload, "claims");
  } catch {
    throw new FormatProblem("claims", "payload is not valid CBOR");
  }
  const obj = decoded.value;
  if (!(obj instanceof Map)) throw new FormatProblem("claims", "payload is not a CBOR map");
  if (!plainTree(obj)) throw new FormatProblem("claims", "payload holds a tag or a key that is not an integer or text");
  if (!decoded.canonical) throw new FormatProblem("claims", "payload CBOR is not deterministically encoded");
  const claims = {};
  for (const [key, field, ok] of CLAIMS) {
    const found = obj.get(`i${key}`);
    if (found === undefined) throw new FormatProblem("claims", `claim ${key} is missing`);
    if (!ok(found.value)) throw new FormatProblem("claims", `claim ${key} has the wrong type or value`);
    claims[field] = found.value;
  }
  claims.expires = BigInt(claims.expires);
  claims.issuedAt = BigInt(claims.issuedAt);
  return claims;
}

// ---- trust and revocation lists ------------------------------------------------------

export const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const fromBase64 = (text) => (typeof Uint8Array.fromBase64 === "function"
  ? Uint8Array.fromBase64(text) : Uint8Array.from(atob(text), (c) => c.charCodeAt(0)));

/** Days since 1970-01-01 of "YYYY-MM-DD", as a BigInt. */
export function epochDay(isoDate) {
  const [y, m, d] = isoDate.split("-").map(Number);
  return BigInt(Date.UTC(y, m - 1, d) / 86400000);
}

/** The Asia/Shanghai day (days since 1970-01-01) holding unix second `t`. */
const dayOf = (t) => {
  const shifted = BigInt(t) + SHANGHAI;
  return shifted >= 0n ? shifted / DAY : (shifted - DAY + 1n) / DAY;
};
const dayStart = (day) => day * DAY - SHANGHAI;

/** A trust list (passgen-trust/1) as the entries `verify` uses, the first entry per kid. */
export function trustFromJson(doc) {
  const byKid = new Map();
  for (const e of doc.keys) {
    const kid = e.kid.toLowerCase();
    if (byKid.has(kid)) continue;
    byKid.set(kid, {
      kid, issuer: e.issuer, publicKey: fromBase64(e.public_key),
      notBefore: epochDay(e.not_before), notAfter: epochDay(e.not_after),
      maxValidityDays: BigInt(e.max_validity_days ?? DEFAULT_MAX_VALIDITY_DAYS),
    });
  }
  return byKid;
}

/** Card serials (8 bytes each), sorted, searched in place: a city's 125,000 take one
 * array, not 125,000 strings.  Exact: a serial is found only if all its 64 bits are there. */
export class SerialSet {
  /** ``words``: each serial as two big-endian 32-bit halves, in order. */
  constructor(words) {
    this.words = words;
  }

  /** From the page's packed form: base64 of the serials' bytes, sorted (passgen's
   * ``pack_serials``). */
  static fromPacked(text) {
    const bytes = fromBase64(text);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const words = new Uint32Array(bytes.length >> 2);
    for (let i = 0; i < words.length; i++) words[i] = view.getUint32(i * 4);
    return new SerialSet(words);
  }

  /** From serials as hex strings, in any order. */
  static fromHex(list) {
    const sorted = [...new Set(list.map((s) => s.toLowerCase().padStart(16, "0")))].sort();
    const words = new Uint32Array(sorted.length * 2);
    sorted.forEach((s, i) => {
      words[2 * i] = parseInt(s.slice(0, 8), 16);
      words[2 * i + 1] = parseInt(s.slice(8, 16), 16);
    });
    return new SerialSet(words);
  }

  get size() {
    return this.words.length >> 1;
  }

  /** Whether the serial (16 hex digits) is here: a binary search. */
  has(serialHex) {
    if (!/^[0-9a-fA-F]{16}$/.test(serialHex)) return false;
    const hi = parseInt(serialHex.slice(0, 8), 16);
    const lo = parseInt(serialHex.slice(8, 16), 16);
    let low = 0;
    let high = this.size - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const h = this.words[2 * mid];
      const l = this.words[2 * mid + 1];
      if (h === hi && l === lo) return true;
      if (h < hi || (h === hi && l < lo)) low = mid + 1; else high = mid - 1;
    }
    return false;
  }

  /** The serials as upper-case hex, in order. */
  *hex() {
    for (let i = 0; i < this.words.length; i += 2) {
      yield (this.words[i].toString(16).padStart(8, "0")
        + this.words[i + 1].toString(16).padStart(8, "0")).toUpperCase();
    }
  }

  /** The serials of this set that ``other`` does not have, as hex. */
  without(other) {
    return [...this.hex()].filter((s) => !other.has(s));
  }
}

/** A page's list's serials, from either form: ``packed`` or ``serials`` (hex strings). */
export const serialSetOf = (r) => (typeof r.packed === "string" ? SerialSet.fromPacked(r.packed)
  : SerialSet.fromHex(r.serials || []));

/** Revocation lists as {issuer: {has(serial hex)}}, several lists of an issuer together
 * (already checked by passgen).  Each list has ``packed`` or ``serials``. */
export function revocationsFromJson(lists) {
  const out = new Map();
  for (const r of lists) {
    const sets = out.get(r.issuer)?.sets || [];
    sets.push(r.set instanceof SerialSet ? r.set : serialSetOf(r));
    out.set(r.issuer, { sets, has: (s) => sets.some((set) => set.has(s)) });
  }
  return out;
}

function validityProblem(entry, issuedAt, expires) {
  const longest = entry.maxValidityDays * DAY;
  if (expires - issuedAt > longest) return `validity exceeds the key's maximum of ${entry.maxValidityDays} days`;
  if (expires > dayStart(entry.notAfter) + DAY + longest) {
    return `ends more than ${entry.maxValidityDays} days after the key's window`;
  }
  return null;
}

export const BEYOND = "超出日历 beyond the calendar";
const FIRST_DAY = -719162n; // 0001-01-01 and 9999-12-31: Python's calendar, which passgen uses
const LAST_DAY = 2932896n;

/** "YYYY-MM-DD" of the last Asia/Shanghai day a pass is valid, or BEYOND for a day outside
 * the years 1 to 9999 (only a hostile pass carries one: the verdict does not need it). */
export function lastValidDay(claims) {
  const day = dayOf(claims.expires - 1n);
  if (day < FIRST_DAY || day > LAST_DAY) return BEYOND;
  return new Date(Number(day) * 86400000).toISOString().slice(0, 10);
}

// ---- text from a pass is data ------------------------------------------------------------

// what Python's str.isprintable refuses: controls, formats (bidi overrides among them),
// separators other than the space and the ideographic space, unassigned and private code points
const HIDDEN = /[\p{C}\p{Zl}\p{Zp}]|(?![ \u3000])\p{Zs}/gu;

/** `text` with every control or formatting character shown as <U+XXXX> (passgen.text.visible). */
export function visible(text) {
  return text.replace(HIDDEN, (ch) => `<U+${ch.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")}>`);
}

/** `visible`, and at most `limit` characters of it (passgen.text.shown). */
export function shown(text, limit = 60) {
  const chars = [...visible(text)];
  return chars.length <= limit ? chars.join("") : `${chars.slice(0, limit - 1).join("")}…`;
}

// ---- the lists' fingerprint --------------------------------------------------------------

/** The text whose SHA-256 is the lists' fingerprint (passgen.check.page.fingerprint_text):
 * a line per trusted key and per revocation list, sorted, so the same lists give the same
 * text in Python and here. */
export function fingerprintText(trustDoc, revocations) {
  const keys = trustDoc.keys.map((k) => `key ${k.kid.toLowerCase()} ${k.public_key} ${k.issuer} `
    + `${k.not_before} ${k.not_after} ${k.max_validity_days ?? DEFAULT_MAX_VALIDITY_DAYS}`);
  const lists = revocations.map((r) => `revoked ${r.issuer} ${r.generated} `
    + `${(typeof r.packed === "string" ? [...SerialSet.fromPacked(r.packed).hex()]
      : r.serials.map((s) => s.toUpperCase()).sort()).join(",")}`
    + (r.withdrawn?.length ? ` withdrawn ${[...r.withdrawn].sort().join(",")}` : ""));
  return [...keys.sort(byCodePoints), ...lists.sort(byCodePoints)].map((line) => `${line}\n`).join("");
}

/** Python's order of strings: by code points (JavaScript's < compares UTF-16 units). */
function byCodePoints(a, b) {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (d) return d;
  }
  return x.length - y.length;
}

// ---- the verdict ---------------------------------------------------------------------

/**
 * Judge one PG1 text at unix second `at` (a number or BigInt), as passgen.check.verify does.
 * `ed25519(publicKey, signature, message)` resolves to a boolean.  Never throws for any text.
 */
export async function verify(text, trust, at, revocations, ed25519) {
  const facts = { decoded: false, structureOk: false, keyKnown: false, signatureValid: false,
    withinKeyWindow: false, withinValidity: false, revoked: false, claims: null, kid: null };
  const result = (status, reason, more = {}) => ({ status, reason, ...facts, ...more });
  let unpacked;
  try {
    unpacked = unpackCose(unbase45(pyStrip(text)));
  } catch (exc) {
    if (!(exc instanceof FormatProblem)) throw exc;
    return result("malformed", exc.message, { decoded: exc.stage === "cose" });
  }
  Object.assign(facts, { decoded: true, structureOk: true, kid: hex(unpacked.kid) });
  const entry = trust.get(facts.kid);
  if (!entry) return result("unknown-key", `key ${facts.kid} is not in the trust list`);
  facts.keyKnown = true;
  let good = false;
  try {
    good = await ed25519(entry.publicKey, unpacked.signature,
      sigStructure(unpacked.protected, unpacked.payload));
  } catch {
    good = false;
  }
  if (!good) return result("bad-signature", "signature does not match");
  facts.signatureValid = true;
  let claims;
  try {
    claims = decodeClaims(unpacked.payload);
  } catch (exc) {
    if (!(exc instanceof FormatProblem)) throw exc;
    return result("malformed", exc.message);
  }
  facts.claims = claims;
  if (claims.issuer !== entry.issuer) return result("unknown-key", `key belongs to ${entry.issuer}, not ${claims.issuer}`);
  const issuedDay = dayOf(claims.issuedAt);
  if (issuedDay < entry.notBefore || issuedDay > entry.notAfter) {
    return result("unknown-key", "signed outside the key's validity window");
  }
  const problem = validityProblem(entry, claims.issuedAt, claims.expires);
  if (problem) return result("unknown-key", problem);
  if (entry.withdrawn) return result("unknown-key", `key ${facts.kid} was withdrawn by its office`);
  facts.withinKeyWindow = true;
  if (revocations.get(claims.issuer)?.has(hex(claims.serial))) {
    return result("revoked", "card serial is on the revocation list", { revoked: true });
  }
  const now = BigInt(Math.floor(Number(at)));
  if (now < claims.issuedAt) return result("not-yet-valid", "issued later than the checking time");
  if (now >= claims.expires) return result("expired", `expired at the end of ${lastValidDay(claims)}`);
  return result("valid", "genuine and in date", { withinValidity: true });
}

