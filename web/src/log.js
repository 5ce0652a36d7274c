// The phone's checkpoint log: time, serial, verdict, colour (never a name or an ID number).
//
// Kept in localStorage in chunks of CHUNK rows, so that a scan rewrites one small chunk, not
// the whole log (a 20,000-row log rewritten whole took 27 ms a scan, 194 ms on a slow phone).
// Rows are never dropped silently: past the cap, or when the phone's storage is full, only rows
// already exported are given up; the others stay (in this page if storage refuses them) and the
// page says so until they are exported.

export const CHUNK = 500;
export const LIMIT = 20000; // rows kept on the phone (about 1.5 MB): weeks at a busy gate
export const WARN_AT = 0.9; // of LIMIT: say so before the cap is reached
const META = "passgen-log-meta";
const PREFIX = "passgen-log-";
const OLD_KEY = "passgen-checkpoint-log"; // the whole log in one key, before chunks

/** The phone's localStorage, or where the browser forbids it (storage switched off reading it
 * throws), a store that lasts as long as the page: the page works either way. */
export function phoneStorage() {
  try {
    const store = window.localStorage;
    store.getItem("passgen-probe");
    return store;
  } catch {
    const items = new Map();
    return { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => { items.set(k, String(v)); },
      removeItem: (k) => { items.delete(k); } };
  }
}

/** The JSON value stored under ``key``, or ``fallback`` (missing, damaged, storage off). */
export function read(store, key, fallback) {
  try {
    const value = JSON.parse(store.getItem(key));
    return value ?? fallback;
  } catch {
    return fallback;
  }
}

/** Store ``value`` as JSON under ``key``; whether storage took it (it may be full). */
export function write(store, key, value) {
  try {
    store.setItem(key, JSON.stringify(value));
    return true;
  } catch {
    return false;
  }
}

export class Log {
  /** ``store``: localStorage, or anything with its getItem/setItem/removeItem. */
  constructor(store) {
    this.store = store;
    const meta = read(store, META, null);
    // chunks[i] holds rows [first + i * CHUNK, ...); `exported` counts rows from the start of
    // the log's history that an export has written out
    this.first = Number.isInteger(meta?.first) ? meta.first : 0; // index of the oldest chunk
    this.exported = Number.isInteger(meta?.exported) ? meta.exported : 0;
    this.dropped = Number.isInteger(meta?.dropped) ? meta.dropped : 0; // rows given up (exported)
    this.chunks = [];
    const count = Number.isInteger(meta?.chunks) ? meta.chunks : 0;
    for (let i = 0; i < count; i++) {
      const rows = read(store, PREFIX + (this.first + i), []);
      this.chunks.push(Array.isArray(rows) ? rows : []);
    }
    this.unsaved = 0; // rows this page holds that storage refused
    const old = read(store, OLD_KEY, null);
    if (Array.isArray(old) && !meta) { // a log written by an earlier page: kept, in chunks
      for (let i = 0; i < old.length; i += CHUNK) this.chunks.push(old.slice(i, i + CHUNK));
      if (this.saveAll()) store.removeItem(OLD_KEY);
    }
  }

  get length() {
    return this.chunks.reduce((n, c) => n + c.length, 0);
  }

  /** Every row, oldest first. */
  rows() {
    return this.chunks.flat();
  }

  /** Rows not yet written out by an export. */
  get unexported() {
    return Math.max(0, this.dropped + this.length - this.exported);
  }

  saveMeta() {
    return write(this.store, META, { first: this.first, chunks: this.chunks.length,
      exported: this.exported, dropped: this.dropped });
  }

  saveAll() {
    let ok = true;
    this.chunks.forEach((rows, i) => { ok = write(this.store, PREFIX + (this.first + i), rows) && ok; });
    return this.saveMeta() && ok;
  }

  /** Give up the oldest chunk if every row of it was exported; whether one was given up. */
  dropExportedChunk() {
    if (this.chunks.length < 2 || this.dropped + this.chunks[0].length > this.exported) return false;
    this.dropped += this.chunks[0].length;
    this.store.removeItem(PREFIX + this.first);
    this.chunks.shift();
    this.first += 1;
    this.saveMeta();
    return true;
  }

  /** Add one row; only the last chunk (and, when a chunk begins, the small meta) is
   * written.  Returns whether storage took it. */
  append(row) {
    if (!this.chunks.length || this.chunks.at(-1).length >= CHUNK) this.chunks.push([]);
    this.chunks.at(-1).push(row);
    while (this.length > LIMIT && this.dropExportedChunk()) { /* exported rows only */ }
    const save = () => (this.unsaved ? this.saveAll()
      : write(this.store, PREFIX + (this.first + this.chunks.length - 1), this.chunks.at(-1))
        && (this.chunks.at(-1).length !== 1 || this.saveMeta()));
    let saved = save();
    while (!saved && this.dropExportedChunk()) saved = save();
    this.unsaved = saved ? 0 : this.unsaved + 1;
    return saved;
  }

  /** Every row has been written out (the CSV export was made). */
  markExported() {
    this.exported = this.dropped + this.length;
    // rows over the limit were kept only because they were not exported: they go now, and
    // the warning to export with them (it used to stay until new scans pushed them out)
    while (this.length > LIMIT && this.dropExportedChunk()) { /* exported rows only */ }
    this.saveMeta();
  }

  clear() {
    for (let i = 0; i < this.chunks.length; i++) this.store.removeItem(PREFIX + (this.first + i));
    this.chunks = [];
    this.first = this.dropped = this.exported = this.unsaved = 0;
    this.saveMeta();
  }

  /** What the worker must be told about the log, or "" (Chinese first, with English). */
  warning() {
    if (this.unsaved) {
      return `注意：手机存储已满，最近 ${this.unsaved} 条记录只保存在本页中，关闭前请立即导出记录`
        + ` / the phone's storage is full: ${this.unsaved} recent scans are only in this page: export the log now`;
    }
    if (this.length > LIMIT) {
      return `注意：核验记录已有 ${this.length} 条，超过 ${LIMIT} 条，其中 ${this.unexported} 条未导出，请导出后清空`
        + ` / the log is over ${LIMIT} scans with ${this.unexported} not exported: export it, then clear it`;
    }
    if (this.unexported >= LIMIT * WARN_AT) { // exported rows make room by themselves
      return `注意：核验记录快满了（${this.unexported} / ${LIMIT} 条未导出），请导出记录`
        + ` / the log is nearly full (${this.unexported} of ${LIMIT} not exported): export it`;
    }
    return "";
  }
}
