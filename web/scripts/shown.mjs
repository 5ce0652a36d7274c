// For the differential test in tests/check/test_verifier_page.py: reads {texts, trust,
// revocations} as JSON on standard input and prints what web/src/pg1.js makes of them
// (visible, shown, the lists' fingerprint text), to be compared with passgen's Python.
import { readFileSync } from "node:fs";

import { fingerprintText, shown, visible } from "../src/pg1.js";

const input = JSON.parse(readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify({
  visible: input.texts.map(visible),
  shown: input.texts.map((t) => shown(t)),
  fingerprint: fingerprintText(input.trust, input.revocations),
}));
