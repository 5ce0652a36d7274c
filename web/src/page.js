// The phone checkpoint page: camera → zxing-wasm → pg1.verify → one full-screen verdict.
// Everything it needs is inside the HTML file that `passgen verifier-page` writes: the lists
// and texts (#passgen-data), the decoder (#passgen-decoder, gzip + base64) and this script.
import { gunzipSync } from "fflate";
import { prepareZXingModule, readBarcodes } from "zxing-wasm/reader";

import { sha256 } from "@noble/hashes/sha2.js";

import { chooseEd25519 } from "./ed25519.js";
import { Log, phoneStorage, read, write } from "./log.js";
import * as pg1 from "./pg1.js";

performance.mark("script-start");
const $ = (id) => document.getElementById(id);
const DATA = JSON.parse($("passgen-data").textContent);
const TRUST = pg1.trustFromJson(DATA.trust);
let REVOKED = new Map(); // the page's lists with what this phone remembers (rememberRevocations)
const MEMORY_KEY = "passgen-revoked-memory/2";
const OLD_MEMORY_KEY = "passgen-revoked-memory";
const CLOCK_SKEW = 600; // seconds: a page made "in the future" by more means a wrong clock
const SAME_CARD_MS = 5000; // the same card seen again within this time is the same scan
const CLEAR_AFTER_MS = 450; // nothing in view this long: the verdict's card has gone
const UNREADABLE_MS = 900; // a code seen but not read this long: the worker gets a hint
const IDLE_AFTER_MS = 10000; // nothing in view this long: decode 8 frames a second, not 25
const IDLE_POLL_MS = 120;
const STALLED_MS = 2000; // no new camera frame this long on a visible page: restart the camera
const NEWEST_KEY = "passgen-newest-lists";
// two symbols, so that a second card in view is noticed; undecodable ones too, for the hint
const READ = { formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 2, returnErrors: true };

// ---- time ------------------------------------------------------------------------------

// A test build (web/build.mjs writes it into tests/, never into the package, so `passgen
// verifier-page` cannot make one) reads #at= and #engine= from its address and says so on
// screen; in the page a checkpoint gets, this is false and the code below is not there.
/* global __PASSGEN_TEST_BUILD__ (true or false: web/build.mjs puts it in, and the minifier
   drops the code it switches off) */
const hooks = __PASSGEN_TEST_BUILD__ ? new URLSearchParams(location.hash.slice(1)) : new URLSearchParams();

/** The checking time in unix seconds: now, or noon Asia/Shanghai of #at= in a test page. */
function checkingTime() {
  const at = hooks.get("at");
  if (at && /^\d{4}-\d{2}-\d{2}$/.test(at)) return Number(pg1.epochDay(at)) * 86400 + 4 * 3600;
  return Date.now() / 1000;
}

const pad = (n) => String(n).padStart(2, "0");
/** Unix seconds as Asia/Shanghai "YYYY-MM-DDTHH:MM:SS+08:00" (the checkpoint log's form). */
function shanghaiIso(seconds) {
  const d = new Date((Math.floor(seconds) + 8 * 3600) * 1000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T`
    + `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}+08:00`;
}
const shanghaiMinute = (seconds) => shanghaiIso(seconds).slice(0, 16).replace("T", " ");
const shortSerial = (hex) => hex.toUpperCase().match(/.{4}/g).join("-");

// ---- lists and their age ---------------------------------------------------------------

/** The phone's clock is wrong when it says it is earlier than the page was made. */
const clockWrong = (now) => now < DATA.made - CLOCK_SKEW;

/** The page's fingerprint, computed from the lists and the parts this page uses (not stored
 * in it): the policy, style, data, this script and the decoder, as passgen.check.page
 * ``parts_digest`` reads them from the file.  An office publishes the one `passgen
 * verifier-page` printed; a supervisor compares.  An edited page shows another, unless the
 * editor rewrote this code too: `passgen page-fingerprint FILE` is the check no edit
 * of the page can bend (docs/security.md). */
const OWN_SCRIPT = document.currentScript?.textContent ?? "";
function fingerprintOf(digest) {
  return pg1.hex(digest.slice(0, 6)).toUpperCase().match(/.{4}/g).join("-");
}
function partsText() {
  const csp = document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.content ?? "";
  const style = document.querySelector("style")?.textContent ?? "";
  return [csp, style, $("passgen-data").textContent, OWN_SCRIPT,
    $("passgen-decoder")?.textContent ?? ""].join("\n");
}
const encoded = (text) => new TextEncoder().encode(text);
const fingerprintText = (parts) => encoded(`${pg1.fingerprintText(DATA.trust, DATA.revocations)}page ${pg1.hex(parts)}\n`);
const fingerprint = () => fingerprintOf(sha256(fingerprintText(sha256(encoded(partsText())))));
let FINGERPRINT = ""; // computed once the first frames are decoded: a city's lists take a while

async function computeFingerprint() {
  if (document.readyState === "loading") {
    await new Promise((resolve) => document.addEventListener("DOMContentLoaded", resolve, { once: true }));
  }
  const digest = async (bytes) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  try {
    FINGERPRINT = fingerprintOf(await digest(fingerprintText(await digest(encoded(partsText())))));
  } catch { // no WebCrypto (an old browser, an insecure origin)
    FINGERPRINT = fingerprint();
  }
  showLists();
}

/** Revocation is permanent until the card expires (as at `passgen checkpoint`): every serial
 * a page's list revoked is remembered on this phone until its card must have expired, and
 * stays revoked even if a newer page's list drops it.  The phone keeps, per office, the
 * newest list it has used (packed, as the page carries it) and the serials a newer list
 * dropped; a city's 125,000 serials are one string, not 125,000 entries.  Returns the
 * warnings to show. */
function rememberRevocations(now) {
  const memory = readStore(MEMORY_KEY, {});
  const old = readStore(OLD_MEMORY_KEY, null); // {issuer: {serial: until}}, before /2
  const blank = () => ({ generated: 0, until: 0, packed: "", dropped: {} });
  for (const [issuer, kept] of Object.entries(old && typeof old === "object" ? old : {})) {
    if (!kept || typeof kept !== "object") continue;
    memory[issuer] ??= blank();
    for (const [s, until] of Object.entries(kept)) memory[issuer].dropped[s.toUpperCase()] = Number(until) || 0;
  }
  const longest = (issuer) => Math.max(0, ...DATA.trust.keys.filter((k) => k.issuer === issuer)
    .map((k) => k.max_validity_days ?? 60)) || 60;
  const lists = [];
  for (const r of DATA.revocations) {
    const set = pg1.SerialSet.fromPacked(r.packed);
    lists.push({ issuer: r.issuer, set });
    const m = memory[r.issuer] && typeof memory[r.issuer] === "object" ? memory[r.issuer] : blank();
    m.dropped = m.dropped && typeof m.dropped === "object" ? m.dropped : {};
    const until = r.generated + (longest(r.issuer) + 1) * 86400;
    const known = typeof m.packed === "string" && m.generated ? pg1.SerialSet.fromPacked(m.packed) : null;
    if (known && r.generated > m.generated) { // a newer list: what it no longer has is kept
      if (m.until > now) for (const s of known.without(set)) m.dropped[s] = Math.max(m.until, Number(m.dropped[s]) || 0);
    } else if (known && r.generated < m.generated) { // an older page: what it has is kept too
      for (const s of set.without(known)) m.dropped[s] = Math.max(until, Number(m.dropped[s]) || 0);
    }
    if (!known || r.generated > m.generated) Object.assign(m, { generated: r.generated, packed: r.packed, until });
    m.withdrawn = m.withdrawn && typeof m.withdrawn === "object" ? m.withdrawn : {};
    for (const kid of r.withdrawn || []) { // kept while any card of the key can last
      const key = DATA.trust.keys.find((k) => k.kid.toLowerCase() === kid);
      const keep = key ? Number(pg1.epochDay(key.not_after)) * 86400 + ((key.max_validity_days ?? 60) + 2) * 86400
        : r.generated + 366 * 86400;
      m.withdrawn[kid] = Math.max(keep, Number(m.withdrawn[kid]) || 0);
    }
    memory[r.issuer] = m;
  }
  // a key withdrawn in any list this phone has seen stays withdrawn, on this page and any
  // older one (passgen.check.memory does the same at a gate)
  for (const entry of TRUST.values()) entry.withdrawn = false;
  const withdrawn = [];
  for (const m of Object.values(memory)) {
    if (!m || typeof m !== "object" || !m.withdrawn || typeof m.withdrawn !== "object") continue;
    for (const [kid, until] of Object.entries(m.withdrawn)) {
      if (!(Number(until) > now)) { delete m.withdrawn[kid]; continue; }
      const entry = TRUST.get(kid);
      if (entry) { entry.withdrawn = true; withdrawn.push(`${entry.issuer} ${kid}`); }
    }
  }
  const trusted = new Set(DATA.trust.keys.map((k) => k.issuer));
  const warnings = withdrawn.map((w) => `注意：${w.split(" ")[0]} 已撤回密钥 ${w.split(" ")[1]}，用它签发的卡一律不得通行 `
    + `/ ${w.split(" ")[0]} withdrew key ${w.split(" ")[1]}: every card it signed is refused`);
  for (const [issuer, m] of Object.entries(memory)) {
    if (!m || typeof m !== "object" || !trusted.has(issuer)) continue;
    const dropped = m.dropped && typeof m.dropped === "object" ? m.dropped : {};
    for (const [s, until] of Object.entries(dropped)) if (!(Number(until) > now)) delete dropped[s];
    const listed = DATA.revocations.filter((r) => r.issuer === issuer);
    if (m.packed && m.until > now && !listed.some((r) => r.generated === m.generated)) {
      lists.push({ issuer, set: pg1.SerialSet.fromPacked(m.packed) }); // a newer list seen before
    }
    const pageSets = lists.slice(0, DATA.revocations.length).filter((l) => l.issuer === issuer)
      .map((l) => l.set); // this page's own lists
    const kept = Object.keys(dropped).filter((s) => !pageSets.some((set) => set.has(s)));
    if (listed.length && kept.length) {
      warnings.push(`注意：本页 ${issuer} 的吊销名单去掉了 ${kept.length} 张这部手机记得已吊销、尚未过期的卡，`
        + "它们仍按已吊销处理 / this page's list drops cards revoked before: they stay revoked");
    }
    if (kept.length) lists.push({ issuer, set: pg1.SerialSet.fromHex(kept) });
  }
  if (writeStore(MEMORY_KEY, memory)) {
    STORE.removeItem(OLD_MEMORY_KEY);
  } else {
    warnings.push("注意：手机存储已满，本机记不住已吊销的卡，请清理存储空间 / the phone's storage is full: it cannot remember revoked cards");
  }
  REVOKED = pg1.revocationsFromJson(lists);
  return warnings;
}
let memoryWarnings = [];

const STORE = phoneStorage();
const readStore = (key, fallback) => read(STORE, key, fallback);
const writeStore = (key, value) => write(STORE, key, value);

function showLists() {
  const now = checkingTime();
  const keys = DATA.trust.keys.length;
  const until = DATA.trust.keys.map((k) => k.not_after).sort().pop() || "";
  const lines = [`页面生成于 ${shanghaiMinute(DATA.made)} · 信任列表 ${keys} 个密钥（有效至 ${until}）`
    + ` (${keys} trusted keys, valid until ${until})`,
  `页面指纹 ${FINGERPRINT || "计算中… computing"}（和办公室公布的核对 · compare with the one the office published）`];
  const warnings = [...memoryWarnings];
  if (clockWrong(now)) {
    warnings.push(`注意：手机时间（${shanghaiMinute(now)}）早于本页的生成时间（${shanghaiMinute(DATA.made)}），`
      + "请检查手机日期和时间 / the phone's clock is before the page was made: check the date and time");
  }
  const newest = readStore(NEWEST_KEY, {});
  for (const r of DATA.revocations) {
    const days = Math.max(0, (now - r.generated) / 86400);
    lines.push(`${r.issuer} 吊销名单生成于 ${shanghaiMinute(r.generated)}，${days.toFixed(1)} 天前，`
      + `${r.count} 张 (revocation list, ${days.toFixed(1)} days old)`);
    if (now - r.generated > DATA.maxAgeHours * 3600) {
      warnings.push(`注意：${r.issuer} 的吊销名单已有 ${days.toFixed(1)} 天，超过 ${DATA.maxAgeHours / 24} 天，`
        + "可能不是最新的，请尽快更新本页 / the revocation list is out of date: get a new page");
    }
    if (typeof newest[r.issuer] === "number" && r.generated < newest[r.issuer]) {
      warnings.push(`注意：本页 ${r.issuer} 的吊销名单比这部手机用过的旧（${shanghaiMinute(newest[r.issuer])}），`
        + "请用最新的页面 / this page's revocation list is older than one used on this phone");
    } else {
      newest[r.issuer] = r.generated;
    }
  }
  writeStore(NEWEST_KEY, newest);
  if (!DATA.revocations.length) {
    warnings.push("注意：本页没有吊销名单，挂失或补办的旧卡也会显示有效 / no revocation list: lost or replaced cards show as valid");
  }
  const today = pg1.epochDay(shanghaiIso(now).slice(0, 10));
  if (DATA.trust.keys.every((k) => pg1.epochDay(k.not_after) < today)) {
    warnings.push("注意：信任列表中的密钥都已过期，请索取最新的页面 / every key in the trust list has expired");
  }
  $("lists").textContent = lines.join("\n"); // shown line by line (white-space: pre-line)
  $("warnings").replaceChildren(...warnings.map((w) => Object.assign(document.createElement("span"), { textContent: w })));
}

// ---- the log (never a name or an ID number) ---------------------------------------------

const log = new Log(STORE);

function record(at, result) {
  const c = result.claims;
  log.append([shanghaiIso(at), c ? shortSerial(pg1.hex(c.serial)) : "", result.status,
    c ? DATA.colours[c.colour].english : ""]);
  $("count").textContent = String(log.length);
  showLogWarning();
}

/** The log's warning (nearly full, full storage), above the camera and in the log view. */
function showLogWarning() {
  const text = log.warning();
  $("log-warning").textContent = text;
  $("log-warning").hidden = !text;
  $("log-state").textContent = text;
}

function csvField(value) {
  // a cell a spreadsheet would run as a formula is written as text, as report.xlsx does
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The stored rows that are what `record` writes; a damaged one is skipped and counted. */
function logRows() {
  const all = log.rows();
  const rows = all.filter((row) => Array.isArray(row) && row.length === 4
    && row.every((cell) => typeof cell === "string"));
  return { rows, skipped: all.length - rows.length };
}

/** The log as `passgen checkpoint --log` writes it. */
/** The log as `passgen checkpoint --log` writes it: a byte order mark (Excel and WPS then
 * read UTF-8), serials in groups of 4 as on the card (kept as text by a spreadsheet). */
function logCsv() {
  return "\ufeff" + [["time", "serial", "verdict", "colour"], ...logRows().rows]
    .map(([time, serial, ...rest]) => [time, /^[0-9A-F]{16}$/.test(serial) ? shortSerial(serial) : serial, ...rest])
    .map((row) => row.map(csvField).join(",") + "\r\n").join("");
}

function showLog() {
  const counts = new Map();
  for (const [, , verdict] of logRows().rows) counts.set(verdict, (counts.get(verdict) || 0) + 1);
  $("log-counts").replaceChildren(...[...counts].sort().map(([verdict, n]) => {
    const tr = document.createElement("tr");
    const word = verdict === "valid" ? "有效" : (DATA.reasons[verdict] || [verdict])[0];
    tr.append(Object.assign(document.createElement("td"), { textContent: `${word} ${verdict}` }),
      Object.assign(document.createElement("td"), { textContent: String(n) }));
    return tr;
  }));
  const last = log.rows().at(-1);
  $("log-latest").textContent = last ? `共 ${log.length} 次，最近一次 ${last[0]} · ${log.length} scans` : "还没有记录 · no scans yet";
  $("versions").textContent = Object.entries(DATA.versions || {}).map(([n, v]) => `${n} ${v}`).join(" · ");
  $("log").hidden = false;
}

function exportLog() {
  const { skipped } = logRows();
  if (skipped) say(`导出时跳过了 ${skipped} 条损坏的记录 · ${skipped} damaged rows skipped`);
  const blob = new Blob([logCsv()], { type: "text/csv;charset=utf-8" });
  const a = Object.assign(document.createElement("a"), {
    href: URL.createObjectURL(blob),
    download: `checkpoint-log-${shanghaiIso(Date.now() / 1000).slice(0, 10)}.csv`,
  });
  document.body.append(a);
  a.click();
  a.remove();
  log.markExported();
  showLogWarning();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

// ---- the verdict -----------------------------------------------------------------------

let audio = null;
function signal(good) {
  if (navigator.userActivation?.hasBeenActive ?? true) { // not before the first tap
    try {
      navigator.vibrate?.(good ? 120 : [300, 120, 300]);
    } catch { /* not allowed here */ }
  }
  try {
    if (!audio && !(navigator.userActivation?.hasBeenActive ?? true)) return;
    audio ??= new AudioContext();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = good ? 1320 : 220;
    tone.type = good ? "sine" : "square";
    gain.gain.value = 0.2;
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + (good ? 0.15 : 0.6));
  } catch { /* no sound before the first tap, or none at all */ }
}

function fact(dl, label, value, cls = "") {
  dl.append(Object.assign(document.createElement("dt"), { textContent: label }),
    Object.assign(document.createElement("dd"), { textContent: value, className: cls }));
}

function show(result) {
  const v = $("verdict");
  const c = result.claims;
  const valid = result.status === "valid";
  const colour = valid ? DATA.colours[c.colour] : null;
  v.className = valid ? `v-${colour.english}` : "v-refused";
  v.dataset.status = result.status;
  v.dataset.serial = c ? pg1.hex(c.serial).toUpperCase() : "";
  // a card "not yet valid" on a phone whose clock is before the page was made: the clock is
  // wrong, not the card, and the worker is told so rather than turning the person away
  const clock = result.status === "not-yet-valid" && clockWrong(checkingTime());
  v.dataset.clock = clock ? "wrong" : "";
  $("v-mark").replaceChildren(markOf(valid ? colour.english : "refused"));
  $("v-word").textContent = valid ? colour.word : clock ? "请检查手机日期和时间" : "不得通行";
  $("v-action").textContent = valid ? colour.meaning : clock ? "手机时间不对，无法核验" : "✕ 无效 INVALID";
  const [zh, en] = DATA.reasons[result.status] || ["", ""];
  $("v-reason").textContent = valid ? "" : clock
    ? `手机时间早于本页的生成时间（${shanghaiMinute(DATA.made)}）· the phone's clock is wrong: check the date and time`
    : `${zh}${result.status === "expired" ? `（有效期至 ${pg1.lastValidDay(c)}）` : ""} · ${en}`;
  const dl = $("v-facts");
  dl.replaceChildren();
  if (c) { // text from a pass is data: shown with hidden characters made visible
    fact(dl, "姓名", pg1.shown(c.name), "name");
    fact(dl, "证件", pg1.shown(c.maskedId, 18), "number");
    fact(dl, "有效期至", pg1.lastValidDay(c), "number");
    const serial = document.createElement("dd"); // broken between groups, never inside one
    serial.className = "serial";
    shortSerial(pg1.hex(c.serial)).split("-").forEach((group, i) => {
      if (i) serial.append("-", document.createElement("wbr"));
      serial.append(Object.assign(document.createElement("span"), { textContent: group, className: "group" }));
    });
    serial.append(" · ", Object.assign(document.createElement("span"), { textContent: pg1.shown(c.issuer, 16) }));
    dl.append(Object.assign(document.createElement("dt"), { textContent: "编号" }), serial);
  }
  $("v-check").textContent = valid ? "请核对卡上姓名与本人 · compare the name with the card and the person" : "";
  showListAge();
  v.hidden = false;
  v.dataset.shownAt = String(Math.round(performance.now())); // ms since the page opened
}

const SVG = "http://www.w3.org/2000/svg";
/** The card's colour symbol, large: ● green, ▲ yellow, ☒ red (passgen.printing.pdf
 * ``draw_mark``); a refused card gets a plain ✕.  Shape, not hue, tells them apart. */
function markOf(kind) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 100 100");
  svg.dataset.mark = kind;
  const add = (name, attrs) => {
    const el = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    svg.append(el);
  };
  const edge = { stroke: "currentColor", "stroke-width": 8, "stroke-linejoin": "round" };
  if (kind === "green") add("circle", { cx: 50, cy: 50, r: 42, fill: "none", ...edge });
  else if (kind === "yellow") add("path", { d: "M50 8 L94 90 L6 90 Z", fill: "none", ...edge });
  else if (kind === "red") {
    add("rect", { x: 8, y: 8, width: 84, height: 84, fill: "none", ...edge });
    add("path", { d: "M26 26 L74 74 M74 26 L26 74", fill: "none", ...edge, "stroke-width": 12 });
  } else add("path", { d: "M18 18 L82 82 M82 18 L18 82", fill: "none", ...edge, "stroke-width": 16 });
  return svg;
}

/** Whether the lists are older than the office publishes them (``--publish-every``): then
 * a card revoked since may still show valid, and every verdict says so. */
function listsStale(now) {
  const oldest = DATA.revocations.reduce((m, r) => Math.min(m, r.generated), DATA.made);
  return now - oldest > (DATA.publishHours ?? 24) * 3600 ? (now - oldest) / 3600 : 0;
}

/** The lists' age on the verdict too: a page opened from the phone's copy may be old. */
function showListAge() {
  const now = checkingTime();
  const hours = listsStale(now);
  $("v-stale").textContent = hours
    ? `名单已过期：本页的名单是 ${Math.floor(hours)} 小时前的（办公室每 ${DATA.publishHours ?? 24} 小时发一次新网页）。`
      + "挂失的卡可能仍显示有效：请核对证件，并马上向办公室要新网页"
      + ` · LISTS OUT OF DATE (${Math.floor(hours)} h old): a lost card may still show valid; check ID and get a new page now`
    : "";
  const oldest = DATA.revocations.reduce((m, r) => Math.min(m, r.generated), Infinity);
  const el = $("v-lists");
  if (!DATA.revocations.length) {
    el.textContent = "本页没有吊销名单 · no revocation list";
    el.className = "stale";
    return;
  }
  const days = Math.max(0, (now - oldest) / 86400).toFixed(1);
  const stale = now - oldest > DATA.maxAgeHours * 3600;
  el.textContent = `吊销名单 ${days} 天前生成${stale ? "，已过期，请尽快更新本页" : ""}`
    + ` · revocation list ${days} days old${stale ? ": out of date, get a new page" : ""}`;
  el.className = stale ? "stale" : "";
}

let verifyWith = null; // the Ed25519 engine, chosen once
const checked = new Map(); // text → { result, seen (ms) }: each card checked and logged once
let current = null; // the card whose verdict is (or was last) up: { text, result, seen, box, dismissed }

/** Check a card read from the camera or a photo, and log it, unless it was checked in the
 * last SAME_CARD_MS (the same card held up is one scan).  Its entry, with the result. */
async function check(text) {
  const now = performance.now();
  const known = checked.get(text);
  if (known && now - known.seen < SAME_CARD_MS) {
    known.seen = now;
    return known.pending;
  }
  for (const [t, e] of checked) if (now - e.seen >= SAME_CARD_MS) checked.delete(t);
  const entry = { seen: now, pending: null };
  checked.set(text, entry);
  entry.pending = (async () => {
    const at = checkingTime();
    const [, ed] = await verifyWith;
    const result = await pg1.verify(text, TRUST, at, REVOKED, ed);
    record(at, result);
    return result;
  })();
  return entry.pending;
}

/** The verdict of ``text`` on screen (``box``: where its code is in the frame, or null),
 * unless the worker tapped it away while that card stayed in view. */
async function handle(text, box = null) {
  const fresh = !current || current.text !== text;
  const result = await check(text);
  if (fresh) current = { text, result, seen: performance.now(), box, dismissed: false };
  else Object.assign(current, { seen: performance.now(), box: box || current.box });
  if (current.text !== text || current.dismissed) return;
  if (fresh || $("verdict").hidden || $("verdict").dataset.text !== text) {
    show(result);
    $("verdict").dataset.text = text;
    if (fresh) signal(result.status === "valid");
  }
}

/** Back to scanning: the verdict's card has left, another code came, or the worker tapped.
 * ``why`` is kept on the page for the tests (and a curious supervisor). */
function clearVerdict(why = "gone") {
  if ($("verdict").hidden) return;
  $("verdict").hidden = true;
  $("verdict").dataset.text = "";
  $("scan").dataset.cleared = String(Number($("scan").dataset.cleared || 0) + 1);
  $("scan").dataset.clearedWhy = why;
}

// ---- the decoder and the camera ----------------------------------------------------------

function fromBase64(text) {
  if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(text);
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

async function decoderBytes() {
  // the decoder's text comes after this script in the page, so that the camera starts while
  // the browser is still reading it
  if (document.readyState === "loading") {
    await new Promise((resolve) => document.addEventListener("DOMContentLoaded", resolve, { once: true }));
  }
  const packed = fromBase64($("passgen-decoder").textContent.trim());
  performance.mark("decoder-base64");
  if (typeof DecompressionStream === "function") {
    const stream = new Blob([packed]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).arrayBuffer();
  }
  return gunzipSync(packed).buffer; // browsers before 2023
}

let decoder = null; // started just after the camera is asked for (see the end)
const startDecoder = () => decoderBytes().then((wasmBinary) => {
  performance.mark("decoder-unpacked");
  return prepareZXingModule({
    overrides: { wasmBinary, locateFile: (path) => path }, fireImmediately: true,
  });
}).then((module) => {
  performance.mark("decoder-ready");
  return module;
});

function say(text, kind = "") {
  $("hint").textContent = text;
  $("hint").dataset.kind = kind;
}

const WAITING = "等待下一张卡：把卡上的二维码对准框内 · waiting for the next card: point the camera at its QR code";
let track = null;
let stream = null;
let frames = 0; // frames decoded: tests wait on #scan's data-frames, not on the clock
let cameraStarts = 0;
let cameraTrouble = false; // the hint says what is wrong with the camera
let lastVideoTime = -1;
let stalledSince = 0;
let lastDetected = performance.now(); // the last frame with anything like a QR code in it
let unreadableSince = 0;
let twoCards = false;
let photoSaidUntil = 0; // a message about a photo stays this long (performance.now() ms)
const canvas = document.createElement("canvas");
const context = canvas.getContext("2d", { willReadFrequently: true });

async function decodeFrame(video, now) {
  const scale = Math.min(1, 1280 / Math.max(video.videoWidth, video.videoHeight));
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  context.drawImage(video, 0, 0, canvas.width, canvas.height);
  let found = [];
  const frame = context.getImageData(0, 0, canvas.width, canvas.height);
  try {
    found = await readBarcodes(frame, READ);
  } catch (exc) {
    console.error(exc);
  }
  const symbols = distinctSymbols(found);
  const readable = symbols.filter((f) => f.isValid && f.text);
  if (symbols.length) lastDetected = now;
  twoCards = symbols.length > 1;
  unreadableSince = readable.length || !symbols.length ? 0 : unreadableSince || now;
  quality = symbols.length && !readable.length ? judgeSymbol(symbols[0], frame)
    : !symbols.length && meanLuma(frame) < DIM_LUMA ? "dim" : "";
  if (symbols.length > 1) {
    // two codes in view: no verdict at all, but each readable card is checked and logged
    clearVerdict("two");
    for (const f of readable) await check(f.text);
  } else if (readable.length) {
    await handle(readable[0].text, boxOf(readable[0]));
  } else if (symbols.length) {
    // a code that cannot be read may be the next person's, held where the last card was:
    // the verdict is not theirs.  (The same card blurred for a frame gets it back, unlogged,
    // on its next clear frame.)
    clearVerdict("unreadable");
  } else if (current && performance.now() - current.seen > CLEAR_AFTER_MS) {
    clearVerdict("gone");
    current = null; // the card has gone: shown again, it is shown again
  }
  if (__PASSGEN_TEST_BUILD__) testSeen(frame);
}

/** Symbols the decoder found, one per code: results over one place are one code (a damaged
 * code can also be "found" as a Micro QR inside one of its corners), the readable first. */
function distinctSymbols(found) {
  const out = [];
  const ranked = found.filter((f) => f.format !== "MicroQRCode")
    .sort((a, b) => Number(b.isValid && !!b.text) - Number(a.isValid && !!a.text));
  for (const f of ranked) {
    if (!out.some((g) => overlap(boxOf(g), boxOf(f)))) out.push(f);
  }
  return out;
}

/** Whether either place's centre lies within the other: one code, not two cards. */
function overlap(a, b) {
  if (!a || !b) return false;
  const within = (p, q) => Math.abs(p.x - q.x) < q.size / 2 && Math.abs(p.y - q.y) < q.size / 2;
  return within(a, b) || within(b, a);
}

/** A symbol's place in the frame: its centre and its size (the longest side), in pixels. */
function boxOf(f) {
  const p = f.position;
  if (!p?.topLeft) return null;
  const corners = [p.topLeft, p.topRight, p.bottomRight, p.bottomLeft];
  const side = (a, b) => Math.hypot(a.x - b.x, a.y - b.y);
  const sides = corners.map((c, i) => side(c, corners[(i + 1) % 4]));
  return { x: corners.reduce((s, c) => s + c.x, 0) / 4, y: corners.reduce((s, c) => s + c.y, 0) / 4,
    size: Math.max(...sides), sides };
}

// ---- the test build's record of what was on screen at each frame ----------------------
// A test video marks each frame with whose turn it is: 8 squares along the top left, white
// for 1 (tests/check/test_page_gate.py ``mark_turn``).  After each frame is handled the test build notes
// the turn and the verdict then on screen, so a test can tell whether a verdict was ever shown
// during another person's turn, and for how long.
const testHistory = [];
function testSeen(frame) {
  let turn = 0;
  for (let bit = 0; bit < 8; bit++) {
    const i = ((20) * frame.width + 20 + bit * 28) * 4;
    if (frame.data[i] > 128) turn |= 1 << bit;
  }
  const v = $("verdict");
  testHistory.push({ t: performance.now(), turn, shown: v.hidden ? "" : v.dataset.text,
    why: $("scan").dataset.clearedWhy || "" });
  if (testHistory.length > 5000) testHistory.shift();
}

// ---- what is wrong with a card held up that cannot be read ------------------------------

const DIM_LUMA = 55; // mean luma (0–255) below this: too dark to read
const GLARE_LUMA = 235;
const HINTS = {
  dim: "太暗：请打开手电筒，或到亮一点的地方 · too dark: turn on the torch or move to the light",
  glare: "反光：请把卡稍微斜一点，避开灯光 · glare: tilt the card a little, away from the light",
  far: "太远：请把卡靠近摄像头 · too far: bring the card closer",
  tilted: "卡片歪了：请把卡放平，正对摄像头 · tilted: hold the card flat, facing the camera",
  blurred: "看不清：请拿稳卡片，稍远一点让摄像头对焦 · blurred: hold the card still, a little farther, to focus",
};
let quality = ""; // the trouble with the code in view, or ""

function meanLuma(frame, box = null) {
  if (!frame) return 255;
  const { width, height, data } = frame;
  const half = box ? box.size / 2 : Infinity;
  const x0 = Math.max(0, Math.floor((box?.x ?? width / 2) - Math.min(half, width / 2)));
  const y0 = Math.max(0, Math.floor((box?.y ?? height / 2) - Math.min(half, height / 2)));
  const x1 = Math.min(width, Math.ceil(x0 + Math.min(2 * half, width)));
  const y1 = Math.min(height, Math.ceil(y0 + Math.min(2 * half, height)));
  let sum = 0;
  let n = 0;
  for (let y = y0; y < y1; y += 8) {
    for (let x = x0; x < x1; x += 8) {
      const i = (y * width + x) * 4;
      sum += 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
      n += 1;
    }
  }
  return n ? sum / n : 255;
}

/** Why a code in view cannot be read, as far as the frame shows it. */
function judgeSymbol(f, frame) {
  const box = boxOf(f);
  if (!box || !frame) return "blurred";
  const luma = meanLuma(frame, box);
  if (luma < DIM_LUMA) return "dim";
  if (luma > GLARE_LUMA) return "glare";
  if (box.size < 0.16 * Math.min(frame.width, frame.height)) return "far";
  const [top, right, bottom, left] = box.sides;
  if (Math.min(top, bottom) < 0.8 * Math.max(top, bottom)
      || Math.min(left, right) < 0.8 * Math.max(left, right)
      || Math.min(top, left) < 0.6 * Math.max(top, left)) return "tilted";
  return "blurred";
}

/** What the hint under the aiming box says: the camera's trouble, two cards, a code that
 * cannot be read, or what the page is waiting for. */
function hint(now) {
  if (cameraTrouble || now < photoSaidUntil) return;
  if (twoCards) say("一次只扫一张卡：画面里有两个二维码，请拿开一张 · one card at a time: two codes are in view", "two");
  else if (quality === "dim") say(HINTS.dim, "dim");
  else if (unreadableSince && now - unreadableSince > UNREADABLE_MS) say(HINTS[quality] || HINTS.blurred, quality || "blurred");
  else say(WAITING, "waiting");
}

// New frames are counted by the browser's own frame callback where it has one: a camera that
// hangs without an event keeps advancing the video's currentTime, but presents no frame.
let presented = 0;
let lastPresented = -1;
const countsFrames = typeof HTMLVideoElement !== "undefined"
  && "requestVideoFrameCallback" in HTMLVideoElement.prototype;
if (countsFrames) {
  const tick = (_, meta) => {
    presented += 1; // per element, whatever stream it shows (meta.presentedFrames restarts)
    $("camera").requestVideoFrameCallback(tick);
  };
  $("camera").requestVideoFrameCallback(tick);
}
const newFrame = (video) => (countsFrames ? presented !== lastPresented : video.currentTime !== lastVideoTime);

async function scanFrame() {
  const video = $("camera");
  const now = performance.now();
  if (video.readyState >= 2 && video.videoWidth && newFrame(video)) {
    stalledSince = 0;
    lastVideoTime = video.currentTime;
    lastPresented = presented;
    await decodeFrame(video, now);
    $("scan").dataset.frames = String(++frames);
  } else if (stream && document.visibilityState === "visible") { // no new frame to decode
    stalledSince ||= now;
    if (now - stalledSince > STALLED_MS) {
      stalledSince = 0;
      restartCamera("stalled");
    }
  }
  hint(now);
  const idle = now - lastDetected > IDLE_AFTER_MS && $("verdict").hidden;
  $("scan").dataset.idle = idle ? "1" : "";
  setTimeout(scanFrame, idle ? IDLE_POLL_MS : 40);
}

function stopCamera() {
  for (const t of stream?.getTracks() || []) t.stop();
  stream = null;
  track = null;
}

/** Open the camera; on failure say why and offer to try again.  Whether it is showing. */
async function openCamera() {
  if (!navigator.mediaDevices?.getUserMedia) {
    cameraTrouble = true;
    say("此浏览器不能使用摄像头（需要 https 或本机文件），请用“扫描照片” · no camera here: use “scan a photo”", "camera");
    return false;
  }
  stopCamera();
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
      audio: false,
    });
    const video = $("camera");
    video.srcObject = stream;
    await video.play();
  } catch (exc) {
    stopCamera();
    cameraTrouble = true;
    say(`无法打开摄像头（${exc.name || exc}）：请允许使用摄像头后点“重新打开摄像头”，或用“扫描照片” · cannot open the camera (${exc.name || exc}): allow it and tap “retry”, or use “scan a photo”`, "camera");
    $("retry").hidden = false;
    return false;
  }
  performance.mark("camera-ready");
  cameraTrouble = false;
  $("retry").hidden = true;
  lastVideoTime = -1;
  $("scan").dataset.camera = String(++cameraStarts);
  [track] = stream.getVideoTracks();
  let muted = null;
  track?.addEventListener("ended", () => restartCamera("ended"));
  track?.addEventListener("mute", () => { muted = setTimeout(() => restartCamera("muted"), 1500); });
  track?.addEventListener("unmute", () => clearTimeout(muted));
  $("torch").hidden = !track?.getCapabilities?.().torch;
  keepScreenOn();
  return true;
}

let reopening = null;
/** The camera again, after a freeze, a switch away, or the system taking it. */
function restartCamera(why) {
  if (document.visibilityState !== "visible") return null; // done when the page is seen again
  console.info(`camera restarted: ${why}`);
  reopening ??= openCamera().finally(() => { reopening = null; });
  return reopening;
}

/** After the page comes back: a camera that ended or was muted is opened again, a paused
 * video played again. */
function cameraBack() {
  if (document.visibilityState !== "visible" || reopening || cameraTrouble && !stream) return;
  keepScreenOn();
  const video = $("camera");
  if (!track || track.readyState === "ended" || track.muted) restartCamera("came back");
  else if (video.paused) video.play().catch(() => restartCamera("paused"));
  stalledSince = 0;
}

let wakeLock = null;
/** The screen stays on while the page scans (where the browser allows it). */
async function keepScreenOn() {
  if (wakeLock || !navigator.wakeLock || document.visibilityState !== "visible") return;
  try {
    wakeLock = await navigator.wakeLock.request("screen");
    wakeLock.addEventListener("release", () => { wakeLock = null; });
  } catch { /* refused (battery saver, no user gesture yet): the screen may dim */ }
}

async function startCamera() {
  reopening = openCamera().finally(() => { reopening = null; });
  await reopening;
  // the loop runs even without a camera: it notices one that comes back, or a retry
  if (await decoderLoaded()) scanFrame();
}

/** Whether the QR decoder is ready; if it cannot be (WebAssembly switched off), say so. */
async function decoderLoaded() {
  try {
    await decoder;
    return true;
  } catch (exc) {
    cameraTrouble = true;
    say(`此浏览器无法运行二维码识别组件（${exc.name || exc}），请换用系统自带的浏览器 · this browser cannot run the QR decoder: use the phone's own browser`, "decoder");
    return false;
  }
}

/** A message about a photo, kept for a few seconds over what the camera's hint says. */
function sayAboutPhoto(text) {
  say(text, "photo");
  photoSaidUntil = performance.now() + 5000;
}

async function scanPhoto(file) {
  sayAboutPhoto("正在识别照片… · reading the photo…");
  if (!await decoderLoaded()) return;
  try {
    const [found] = await readBarcodes(file, { ...READ, maxNumberOfSymbols: 1, returnErrors: false });
    if (found?.isValid && found.text) {
      photoSaidUntil = 0;
      current = null;
      await handle(found.text);
      if (current) current.seen = Infinity; // a photo's verdict stays until tapped or replaced
    } else {
      sayAboutPhoto("照片里没有找到二维码，请靠近些再拍 · no QR code found in the photo: take it closer");
    }
  } catch (exc) {
    sayAboutPhoto(`无法读取照片（${exc.name || exc}） · cannot read the photo`);
  }
}

// ---- installable where served -------------------------------------------------------------

function offlineWhenServed() {
  if (!window.isSecureContext || !location.protocol.startsWith("http") || !("serviceWorker" in navigator)) return;
  const manifest = Object.assign(document.createElement("link"), { rel: "manifest", href: DATA.files.manifest });
  document.head.append(manifest);
  navigator.serviceWorker.register(DATA.files.sw, { scope: DATA.files.page }).catch((exc) => {
    console.warn("offline copy not installed:", exc);
  });
  // the saved copy opens at once; when the office has published a newer page the offline
  // copy says so (passgen.check.page ``_service_worker``), and the page reloads itself as
  // soon as no verdict is on screen
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data?.type !== "passgen-newer-page") return;
    say("已下载新网页（新名单），正在打开… · a newer page has arrived: opening it", "newer");
    const reload = () => ($("verdict").hidden ? location.reload() : setTimeout(reload, 500));
    reload();
  });
}

// ---- start --------------------------------------------------------------------------------

$("verdict").addEventListener("click", () => {
  // the card still in front of the camera is not shown again until it has left the view:
  // the next card is what the worker wants to see
  if (current) current.dismissed = true;
  clearVerdict("tapped");
});
$("retry").addEventListener("click", () => { cameraTrouble = false; restartCamera("retry"); });
document.addEventListener("visibilitychange", cameraBack);
window.addEventListener("pageshow", (event) => { if (event.persisted) cameraBack(); });
document.addEventListener("resume", cameraBack);
$("torch").addEventListener("click", async () => {
  const on = !$("torch").classList.contains("on");
  try {
    await track.applyConstraints({ advanced: [{ torch: on }] });
    $("torch").classList.toggle("on", on);
  } catch { /* the phone refused */ }
});
$("file").addEventListener("change", (event) => {
  const [file] = event.target.files;
  if (file) scanPhoto(file);
  event.target.value = "";
});
$("logbutton").addEventListener("click", showLog);
$("log-close").addEventListener("click", () => { $("log").hidden = true; });
$("log-export").addEventListener("click", exportLog);
$("log-clear").addEventListener("click", () => {
  if (confirm("确定清空本机的核验记录吗？请先导出。 Clear the log on this phone? Export it first.")) {
    log.clear();
    $("count").textContent = "0";
    showLogWarning();
    showLog();
  }
});
document.addEventListener("pointerdown", () => audio?.resume?.(), { passive: true });

$("count").textContent = String(log.length);
showLogWarning();
verifyWith = chooseEd25519(hooks.get("engine") || "");
memoryWarnings = rememberRevocations(checkingTime());
startCamera(); // first: the camera takes longest to start
decoder = startDecoder();
showLists();
// the fingerprint after the decoder, so that a city's lists never delay the first verdict
decoder.then(() => setTimeout(computeFingerprint, 300), () => computeFingerprint());
setInterval(showLists, 10 * 60 * 1000); // a page left open overnight still warns
offlineWhenServed();

if (__PASSGEN_TEST_BUILD__) {
  // only in the test build: the tests run tests/vectors through this page
  $("top").prepend(Object.assign(document.createElement("p"), { id: "test-build", className: "alert",
    textContent: "测试版页面：日期可由地址改写，不得用于检查点 · TEST BUILD: its date can be set from the address; never use it at a checkpoint" }));
  window.passgenTest = {
    async verify(text, trustDoc, atIso) {
      const [engine, ed] = await verifyWith;
      const result = await pg1.verify(text, pg1.trustFromJson(trustDoc), Date.parse(atIso) / 1000, new Map(), ed);
      return { engine, status: result.status, reason: result.reason };
    },
    logCsv,
    fingerprint,
    handle,
    history: () => testHistory.splice(0),
    freezeCamera() { // a camera that hangs without an event: no new frames, the track live
      const still = document.createElement("canvas");
      $("camera").srcObject = still.captureStream(0);
    },
    decode: (image) => decoder.then(() => readBarcodes(image, READ)),
  };
}
