"""``passgen demo``: the whole pipeline on the bundled sample rosters with a demo key."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from passgen.check.inputs import Checked, check_paths
from passgen.dates import day_start, noon
from passgen.jobs.cards import BatchResult, Progress, run_cards
from passgen.passes import keys
from passgen.printing.layout import load_template
from passgen.rules import load_rules

DEMO_ISSUER = "DEMO-XIMEN"
DEMO_PASSPHRASE = b"demo"
# The sample rosters describe residents as of the source article's date (25 March 2020).
DEMO_AS_OF = dt.date(2020, 3, 25)
SAMPLES = ("elderly.xlsx", "students.xlsx")


@dataclass(frozen=True)
class DemoResult:
    key: Path
    trust: Path
    batch: BatchResult
    checked: tuple[Checked, ...]

    @property
    def valid(self) -> int:
        """Codes found in the PDFs that verify as valid."""
        return sum(1 for c in self.checked if c.result.valid)

    @property
    def self_check_ok(self) -> bool:
        """Every card printed was found in the PDFs and verifies as valid."""
        cards = self.batch.totals.cards
        return self.valid == cards and len(self.checked) == cards


def demo_key() -> keys.SigningKey:
    """A fixed, public demo key: never use it for real cards."""
    return keys.generate(DEMO_ISSUER, dt.date(2020, 1, 1), dt.date(2020, 12, 31),
                         keys.DEMO_SEED)


def sample_paths(out_dir: Path) -> list[Path]:
    """Copy the bundled sample rosters next to the demo output (so a clerk can open them)."""
    folder = out_dir / "samples"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in SAMPLES:
        target = folder / name
        target.write_bytes((resources.files("passgen.samples") / name).read_bytes())
        paths.append(target)
    return paths


def run_demo(out_dir: Path, progress: Progress | None = None) -> DemoResult:
    out_dir.mkdir(parents=True, exist_ok=True)
    key = demo_key()
    key_path = out_dir / "demo-key.pem"
    keys.save(key, key_path, DEMO_PASSPHRASE, force=True)
    trust_path = out_dir / "trust.json"
    keys.write_trust([key.entry], trust_path)
    batch = run_cards(sample_paths(out_dir), key, out_dir, load_rules(), load_template(),
                      DEMO_AS_OF, progress=progress, ledger=out_dir / "ledger.sqlite",
                      now=day_start(DEMO_AS_OF) + 9 * 3600, replace=True)  # its own folder
    at = noon(DEMO_AS_OF)
    checked = check_paths(list(batch.pdfs), keys.read_trust(trust_path), at)
    return DemoResult(key_path, trust_path, batch, tuple(checked))
