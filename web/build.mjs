// Bundles the phone checkpoint page's script and decoder into passgen/check/page_assets/,
// where the Python package finds them (it needs no Node at install or run time).
//
//   npm ci && node build.mjs      (or `make page-assets` at the top of the repository)
//
// Writes: verifier.js (src/page.js and its imports, one minified IIFE), page.html and
// page.css (copied), zxing_reader.wasm.gz (the QR decoder, gzip level 9 by fflate), and
// THIRD-PARTY.txt with each bundled library's version and licence.  The output depends only
// on the sources and the versions pinned in package-lock.json: CI rebuilds it and fails on a
// difference.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "fflate";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "passgen", "check", "page_assets");
const require = createRequire(import.meta.url);
mkdirSync(out, { recursive: true });

// Two builds of the script: the page's (in the package), and a test build with the test
// hooks (#at=, window.passgenTest) that only the tests use: it is written under tests/, so
// `passgen verifier-page` cannot make a page with hooks (issue #37).
const testOut = join(here, "..", "tests", "page_test_build");
mkdirSync(testOut, { recursive: true });
for (const [testBuild, outfile] of [[false, join(out, "verifier.js")],
  [true, join(testOut, "verifier.js")]]) {
  await build({
    entryPoints: [join(here, "src", "page.js")],
    bundle: true,
    format: "iife",
    minify: true,
    target: "es2020", // BigInt: Chrome 67+, Safari 14+, Firefox 68+
    legalComments: "none", // the licences are in THIRD-PARTY.txt beside the bundle
    define: { __PASSGEN_TEST_BUILD__: String(testBuild) },
    outfile,
    logLevel: "warning",
  });
}

for (const name of ["page.html", "page.css"]) copyFileSync(join(here, "src", name), join(out, name));

const packageDir = (name) => join(here, "node_modules", name); // installed by npm ci
const wasm = readFileSync(join(packageDir("zxing-wasm"), "dist", "reader", "zxing_reader.wasm"));
// fflate, pinned, not node:zlib: the bytes then depend on the lockfile alone, not on the zlib
// inside whichever Node runs the build (CI compares them with the committed ones)
writeFileSync(join(out, "zxing_reader.wasm.gz"), gzipSync(wasm, { level: 9, mem: 12, mtime: 0 }));

const bundled = ["zxing-wasm", "@noble/ed25519", "@noble/hashes", "fflate"];
const share = readFileSync(join(packageDir("zxing-wasm"), "dist", "es", "share.js"), "utf8");
// share.js declares the package's version, then the zxing-cpp commit (ZXING_CPP_COMMIT)
const zxingVersion = JSON.parse(readFileSync(join(packageDir("zxing-wasm"), "package.json"), "utf8")).version;
const zxingCommit = (share.match(new RegExp(`"${zxingVersion.replace(/\./g, "\\.")}",\\s*\\w+\\s*=\\s*"([0-9a-f]{40})"`)) || [, "unknown"])[1];
const notes = ["Libraries bundled into verifier.js and zxing_reader.wasm.gz by web/build.mjs.", "",
  "zxing_reader.wasm is zxing-cpp (https://github.com/zxing-cpp/zxing-cpp, Apache License 2.0,",
  `commit ${zxingCommit}) with zxing-wasm's C++ glue (Apache License 2.0), compiled to`,
  "WebAssembly by zxing-wasm; the Apache License 2.0 text is at",
  "https://www.apache.org/licenses/LICENSE-2.0.txt.", ""];
for (const name of bundled) {
  const dir = packageDir(name);
  const meta = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const licence = ["LICENSE", "LICENSE.md", "LICENSE.txt"].map((f) => join(dir, f))
    .map((p) => { try { return readFileSync(p, "utf8"); } catch { return null; } })
    .find((t) => t !== null);
  if (!licence) throw new Error(`no licence file in ${name}`);
  notes.push("=".repeat(76), `${name} ${meta.version} (${meta.license})`, meta.homepage || "",
    "=".repeat(76), licence.trim(), "");
}
writeFileSync(join(out, "THIRD-PARTY.txt"), notes.join("\n"));
const versions = Object.fromEntries(bundled.map((n) =>
  [n, JSON.parse(readFileSync(join(packageDir(n), "package.json"), "utf8")).version]));
writeFileSync(join(out, "versions.json"), JSON.stringify(versions, null, 1) + "\n");
console.log(`page assets written to ${out}`);
