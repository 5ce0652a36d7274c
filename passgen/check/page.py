"""``passgen verifier-page``: a checkpoint in a phone, as one self-contained HTML file.

The page holds everything it needs: the trust list, the revocation lists (already checked
here, so the page trusts their content), the words of the verdicts, the QR decoder
(zxing-wasm, gzip + base64) and its script (``web/`` in the repository, bundled into
``page_assets/`` by ``make page-assets``; no Node is needed here).  A Content-Security-Policy
forbids every connection, so the page cannot send what it scans anywhere.

Beside it go a service worker and a web app manifest: where the folder is served over HTTPS
the page installs itself and works offline after the first visit; from a file they are unused.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from passgen import __version__
from passgen.check.gate import REASONS
from passgen.check.inputs import Lists, load_lists
from passgen.errors import PassgenError
from passgen.files import atomic_write
from passgen.models import Colour
from passgen.passes.keys import DEFAULT_MAX_VALIDITY_DAYS, TRUST_FORMAT

ASSETS = Path(__file__).parent / "page_assets"
TITLE = "出行卡核验"
PAGE_LIMIT = 700 * 1024  # bytes: the page must open quickly on a phone from a chat message
_SLOT = re.compile(r"\{\{(\w+)\}\}")


@dataclass(frozen=True)
class Assets:
    """The bundled parts of the page (``page_assets/``)."""

    html: str
    css: str
    script: str
    decoder_gz: bytes
    versions: Mapping[str, str]

    @classmethod
    def load(cls, folder: Path = ASSETS) -> Assets:
        try:
            return cls((folder / "page.html").read_text(encoding="utf-8"),
                       (folder / "page.css").read_text(encoding="utf-8"),
                       (folder / "verifier.js").read_text(encoding="utf-8"),
                       (folder / "zxing_reader.wasm.gz").read_bytes(),
                       json.loads((folder / "versions.json").read_text(encoding="utf-8")))
        except (OSError, ValueError):
            raise PassgenError(f"核验页面的组件缺失或损坏（{folder}），请重新安装 passgen",
                               f"the parts of the verifier page are missing or damaged "
                               f"({folder}); reinstall passgen") from None


@dataclass(frozen=True)
class PageFiles:
    """The three files of a page, by the names they are written under."""

    html_name: str
    html: str
    worker_name: str
    worker: str
    manifest_name: str
    manifest: str
    parts_digest: str  # SHA-256 (hex) of every part that decides a verdict: ``parts_digest``


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def content_security_policy(script: str, style: str) -> str:
    """Only this page's own script and style run; no connection of any kind is allowed
    (``connect-src 'none'``); WebAssembly may compile (the decoder); the service worker and
    manifest come from the page's own folder, and only when it is served."""
    return "; ".join((
        "default-src 'none'",
        f"script-src {_sha256(script)} 'wasm-unsafe-eval'",
        f"style-src {_sha256(style)}",
        "img-src data: blob:",
        "media-src blob: mediastream:",
        "connect-src 'none'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
    ))


def _json_in_html(obj: Any) -> str:
    """JSON that cannot end or bend the <script> element it sits in: ``<``, ``>`` and ``&``
    (found only inside strings) written as ``\\u003c``-style escapes, which JSON.parse reads
    back as the same text (``<\\!--`` was invalid JSON: the page showed nothing, #37)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).replace(
        "<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def pack_serials(serials: Iterable[bytes]) -> str:
    """A list's serials as the page carries them: their 8 bytes each, sorted, one after
    another, in base64 (10.7 characters a serial, where JSON's hex strings took 19, and the
    page reads them straight into one array it searches, with no string per serial: a city's
    125,000 revoked serials cost 1.3 MB, not 2.4, and no time to set up).  Exact: every bit
    of every serial is kept, so no valid card is ever refused by a collision."""
    return base64.b64encode(b"".join(sorted(serials))).decode("ascii")


def serials_of(entry: Mapping[str, Any]) -> list[str]:
    """A page's list's serials as upper-case hex, from either form: ``packed`` (what
    ``page_data`` writes) or ``serials`` (hex strings)."""
    if "packed" in entry:
        raw = base64.b64decode(entry["packed"])
        return [raw[i:i + 8].hex().upper() for i in range(0, len(raw), 8)]
    return [s.upper() for s in entry["serials"]]


PUBLISH_EVERY_HOURS = 24.0  # how often an office publishes a new page, by default (指南)


def page_data(lists: Lists, made: dt.datetime, max_age_hours: float,
              names: Mapping[str, str],
              publish_hours: float = PUBLISH_EVERY_HOURS) -> dict[str, Any]:
    """What the page's script reads: the lists, the words it shows, its own file names."""
    return {
        "made": int(made.timestamp()),
        "trust": {"format": TRUST_FORMAT,
                  "keys": [e.to_json() for e in lists.trust.entries]},
        "revocations": [{"issuer": r.issuer, "generated": r.generated,
                         "count": len(r.serials), "packed": pack_serials(r.serials),
                         **({"withdrawn": sorted(k.hex() for k in r.withdrawn)}
                            if r.withdrawn else {})}
                        for r in lists.revoked.lists],
        "maxAgeHours": max_age_hours,
        "publishHours": publish_hours,
        "colours": [{"word": c.word, "english": c.english, "meaning": c.meaning}
                    for c in Colour],
        "reasons": {str(v): list(words) for v, words in REASONS.items()},
        "files": dict(names),
    }


def file_names(html_name: str) -> dict[str, str]:
    """The page's own name and its companions': ``核验.html``, ``核验.sw.js``,
    ``核验.webmanifest``."""
    stem = html_name[:-len(".html")]
    return {"page": html_name, "sw": f"{stem}.sw.js", "manifest": f"{stem}.webmanifest"}


def parts_digest(csp: str, style: str, data: str, script: str, decoder: str) -> str:
    """SHA-256 (hex) of the page's parts that decide a verdict, as they stand in the file: the
    policy, the style, the data (lists, colour words, options), the script and the decoder,
    one after another with a newline between.  The page computes the same from its own
    elements (web/src/page.js ``partsDigest``): an edited part shows another fingerprint."""
    text = "\n".join((csp, style, data, script, decoder))
    return hashlib.sha256(text.encode()).hexdigest()


def render(assets: Assets, data: Mapping[str, Any]) -> PageFiles:
    """The page, its service worker and its manifest (pure: no file is touched)."""
    names = data["files"]
    data = {**data, "versions": {"passgen": __version__, **assets.versions}}
    slots = {
        "title": TITLE,
        "style": assets.css,
        "script": assets.script,
        "data": _json_in_html(data),
        "decoder": base64.b64encode(assets.decoder_gz).decode("ascii"),
        "csp": content_security_policy(assets.script, assets.css),
    }
    html = _SLOT.sub(lambda m: slots[m.group(1)], assets.html)
    digest = hashlib.sha256(html.encode()).hexdigest()[:16]
    return PageFiles(names["page"], html, names["sw"], _service_worker(digest),
                     names["manifest"], _manifest(names["page"]),
                     parts_digest(*(slots[k] for k in ("csp", "style", "data", "script",
                                                       "decoder"))))


def _service_worker(digest: str) -> str:
    """Cache the page at install; at each opening answer from the saved copy at once (a slow
    network left the gate with a blank screen for 4 s, #35), ask the network meanwhile, and
    when it has a different page (the office published a newer one) keep it and tell the
    open page, which reloads itself as soon as no verdict is on screen."""
    return f"""// passgen verifier page: offline copy (generated by passgen verifier-page)
const CACHE = "passgen-verifier-{digest}";
const PAGE = self.registration.scope;
self.addEventListener("install", (event) => {{
  event.waitUntil(caches.open(CACHE).then((cache) => cache.add(PAGE)).then(() => self.skipWaiting()));
}});
self.addEventListener("activate", (event) => {{
  event.waitUntil(caches.keys().then((keys) => Promise.all(keys
    .filter((key) => key.startsWith("passgen-verifier-") && key !== CACHE)
    .map((key) => caches.delete(key)))).then(() => self.clients.claim()));
}});
async function refresh(cache, cached, clientId) {{
  const response = await fetch(PAGE, {{ cache: "no-store" }});
  if (!response.ok) return;
  const [fresh, saved] = await Promise.all([response.clone().text(), cached.text()]);
  if (fresh === saved) return;
  await cache.put(PAGE, response);
  const client = await self.clients.get(clientId);
  for (const c of client ? [client] : await self.clients.matchAll({{ type: "window" }})) {{
    c.postMessage({{ type: "passgen-newer-page" }});
  }}
}}
self.addEventListener("fetch", (event) => {{
  if (event.request.mode !== "navigate") return;
  event.respondWith(caches.open(CACHE).then(async (cache) => {{
    const cached = await cache.match(PAGE);
    if (!cached) {{
      const response = await fetch(event.request, {{ cache: "no-store" }});
      if (response.ok) await cache.put(PAGE, response.clone());
      return response;
    }}
    event.waitUntil(refresh(cache, cached.clone(), event.resultingClientId)
      .catch(() => undefined));
    return cached;
  }}));
}});
"""


def _icon(size: int) -> str:
    """A data: URL of a square PNG icon: a white QR finder pattern on the page's colour."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (size, size), (21, 32, 43))
    draw = ImageDraw.Draw(image)
    unit = size // 10
    for (x, y) in ((2, 2), (6, 2), (2, 6)):
        draw.rectangle((x * unit, y * unit, (x + 2) * unit, (y + 2) * unit), fill="white")
    draw.rectangle((6 * unit, 6 * unit, 8 * unit, 8 * unit), fill=(11, 122, 59))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _manifest(html_name: str) -> str:
    return json.dumps({
        "name": f"{TITLE}（离线）", "short_name": "核验", "lang": "zh-CN",
        "start_url": f"./{html_name}", "scope": f"./{html_name}", "display": "standalone",
        "background_color": "#15202b", "theme_color": "#15202b",
        "icons": [{"src": _icon(s), "sizes": f"{s}x{s}", "type": "image/png"}
                  for s in (192, 512)],
    }, ensure_ascii=False, indent=1) + "\n"


def _writer(text: str) -> Callable[[Path], object]:
    return lambda tmp: tmp.write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class PageReport:
    """What ``write_page`` wrote, and the warnings about the lists' age."""

    files: tuple[Path, ...]
    size: int
    keys: int
    revoked: int
    warnings: tuple[str, ...]
    fingerprint: str = ""  # of the lists inside: the page shows the same (``fingerprint``)


def fingerprint_text(data: Mapping[str, Any]) -> str:
    """The text whose SHA-256 is the lists' fingerprint: a line per trusted key and per
    revocation list of ``page_data``, sorted (web/src/pg1.js ``fingerprintText`` writes the
    same text from the same data)."""
    keys = [f"key {k['kid'].lower()} {k['public_key']} {k['issuer']} {k['not_before']} "
            f"{k['not_after']} {k.get('max_validity_days', DEFAULT_MAX_VALIDITY_DAYS)}"
            for k in data["trust"]["keys"]]
    lists = [f"revoked {r['issuer']} {r['generated']} "
             f"{','.join(sorted(serials_of(r)))}"
             + (f" withdrawn {','.join(sorted(r['withdrawn']))}" if r.get("withdrawn") else "")
             for r in data["revocations"]]
    return "".join(f"{line}\n" for line in sorted(keys) + sorted(lists))


def fingerprint(data: Mapping[str, Any], digest: str) -> str:
    """A short fingerprint of a whole page (XXXX-XXXX-XXXX): its lists, line by line, and the
    ``parts_digest`` of everything else that decides a verdict.  An office publishes it beside
    the page; a supervisor compares it with the one the page shows, which the page computes
    from the lists and parts it actually uses: an edited page shows another (#37)."""
    text = fingerprint_text(data) + f"page {digest}\n"
    short = hashlib.sha256(text.encode()).hexdigest()[:12].upper()
    return "-".join(short[i:i + 4] for i in range(0, 12, 4))


_PARTS = re.compile(
    r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">.*?<style>(.*?)</style>'
    r'.*?<script type="application/json" id="passgen-data">(.*?)</script>\s*'
    r'<script>(.*?)</script>\s*<script type="application/octet-stream" '
    r'id="passgen-decoder">(.*?)</script>', re.DOTALL)


def fingerprint_of_file(path: Path) -> str:
    """The fingerprint of a page file as it is, computed here rather than by the page's own
    script (which an edited page could rewrite): what ``verifier-page --check`` prints."""
    try:
        html = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PassgenError(f"无法读取核验页面 {path}：{exc}",
                           f"cannot read the verifier page {path}: {exc}") from None
    found = _PARTS.search(html)
    if found:
        try:
            return fingerprint(json.loads(found.group(3)), parts_digest(*found.groups()))
        except (ValueError, KeyError, TypeError, AttributeError):
            pass
    raise PassgenError(f"{path} 不是 passgen 生成的核验页面，或已被改坏",
                       f"{path} is not a verifier page passgen made, or it has been damaged")


def write_page(out: Path, trust_path: Path, revoked_paths: Sequence[Path], at: dt.datetime,
               max_age_hours: float, assets: Assets | None = None,
               publish_hours: float = PUBLISH_EVERY_HOURS, seen: Path | None = None,
               allow_demo: bool = False) -> PageReport:
    """Check the lists as ``passgen verify`` does (``seen``: where the newest list per office
    is remembered, by default the user's state folder), then write the page and its two
    companions beside it, each whole or not at all."""
    if out.suffix.lower() != ".html":
        raise PassgenError(f"输出文件名应以 .html 结尾：{out}",
                           f"the output file name must end in .html: {out}")
    if not out.parent.is_dir():
        raise PassgenError(f"输出文件夹 {out.parent} 不存在",
                           f"the output folder {out.parent} does not exist")
    lists = load_lists(trust_path, revoked_paths, at, max_age_hours, seen, allow_demo)
    data = page_data(lists, at, max_age_hours, file_names(out.name), publish_hours)
    page = render(assets or Assets.load(), data)
    written = []
    for name, text in ((page.worker_name, page.worker), (page.manifest_name, page.manifest),
                       (page.html_name, page.html)):
        path = out.with_name(name)
        atomic_write(path, _writer(text))
        written.append(path)
    return PageReport(tuple(written), len(page.html.encode()), len(lists.trust.entries),
                      sum(len(r.serials) for r in lists.revoked.lists), lists.warnings,
                      fingerprint(data, page.parts_digest))
