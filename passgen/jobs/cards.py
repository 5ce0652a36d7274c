"""The ``cards`` batch: rosters → outcomes → signed cards → card PDF volumes + report.xlsx.

This is the edge where files, keys and the clock meet the pure stages; a library user calls
``run_cards`` exactly as the CLI does.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from passgen import signals
from passgen.errors import Interrupted, OutputBusy, OutputExists, PassgenError
from passgen.files import TEMPORARY_PREFIX, FileHeldOpen, exclusive, fsync_dir, replace
from passgen.intake.estimate import estimate_rows
from passgen.intake.mapping import ColumnMap
from passgen.intake.roster import RowContext, SheetNotice
from passgen.intake.sheets import DEFAULT_LIMITS, Limits
from passgen.jobs import manifest
from passgen.jobs.assess import Numbering
from passgen.jobs.assess import assess_rows as assess_rows  # re-exported
from passgen.jobs.history import open_history
from passgen.jobs.ledger import CardRecord, Ledger, ledger_lock
from passgen.jobs.ledger_tasks import settle
from passgen.jobs.parallel import parallel, worker_pool
from passgen.jobs.progress import Progress
from passgen.jobs.report import ReportWriter, RowOutcome, Totals
from passgen.jobs.volumes import PrintOptions, Volumes
from passgen.passes.issue import DEFAULT_VALID_DAYS
from passgen.passes.keys import SigningKey, load_office_key
from passgen.printing.layout import CardTemplate, load_template
from passgen.rules import Rules, rules_of
from passgen.rules.views import explain_rows

LOCK_NAME = f"{TEMPORARY_PREFIX}batch.lock"  # in the output folder while a batch runs


@dataclass(frozen=True)
class BatchResult:
    """What a batch did.  Only the rejected rows are kept (a city's batch has too many
    rows to hold); pass ``on_outcome`` to see every row as it is decided."""

    pdfs: tuple[Path, ...]
    report: Path
    totals: Totals
    rejected: tuple[RowOutcome, ...] = ()
    notices: tuple[SheetNotice, ...] = ()
    superseded: tuple[bytes, ...] = ()  # serials revoked because these cards replace them


def check_key_window(key: SigningKey, as_of: dt.date,
                     valid_days: int = DEFAULT_VALID_DAYS) -> None:
    """Refuse before any work a batch whose cards every checkpoint would refuse."""
    e = key.entry
    if not e.not_before <= as_of <= e.not_after:
        raise PassgenError(
            f"签发日期 {as_of} 不在密钥有效期 {e.not_before} 至 {e.not_after} 内，核验时会被拒绝",
            f"as-of date {as_of} is outside the key's window {e.not_before}..{e.not_after}")
    if valid_days + 1 > e.max_validity_days:
        raise PassgenError(
            f"有效天数 {valid_days}（共 {valid_days + 1} 天）超过了该密钥允许的最长 "
            f"{e.max_validity_days} 天，核验时会被拒绝",
            f"{valid_days} valid days ({valid_days + 1} in all) exceed the key's maximum of "
            f"{e.max_validity_days} days: checkpoints would refuse the cards")


def run_cards(paths: Sequence[Path], key: SigningKey, out_dir: Path, rules: Rules,
              printing: PrintOptions | CardTemplate, as_of: dt.date, community: str = "",
              valid_days: int = DEFAULT_VALID_DAYS, progress: Progress | None = None,
              limits: Limits = DEFAULT_LIMITS, ledger: Path | None = None,
              now: int | None = None,
              on_outcome: Callable[[RowOutcome], None] | None = None,
              replace: bool = False, columns: ColumnMap = (),
              rows: frozenset[tuple[str, str, int]] | None = None) -> BatchResult:
    """Read, assess, sign and print: ``out_dir/cards-<community>-NNN.pdf`` volumes and
    ``out_dir/report.xlsx``, listed in ``out_dir/passgen-batch.json``.  A folder holding
    another batch's outputs is refused, or with ``replace`` cleared of exactly those.
    With a ``ledger`` every card is recorded, and a resident's earlier unexpired card is
    revoked (superseded) by the new one.  Ctrl-C or SIGTERM ends it as ``Interrupted``.

    ``columns`` is the office's column mapping (DESIGN.md §3); ``rows``, if given, the only
    rows read, as (file, sheet, row) (a re-issue).  Rows stream through: each is decided,
    reported and, if it is a card, queued for its community's volume, which is written when
    full.  With a ledger, volumes are written under temporary names and the batch is
    journalled so PDFs and ledger always agree."""
    if isinstance(printing, CardTemplate):
        printing = PrintOptions(printing)
    check_key_window(key, as_of, valid_days)
    made = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    if ledger is not None:
        ledger.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        with batch_lock(out_dir, ledger, progress):
            return _run_locked(paths, key, out_dir, rules, printing,
                               RowContext(as_of, community, columns, rows), valid_days,
                               progress, limits, ledger, now, on_outcome, replace)
    except KeyboardInterrupt:  # before the batch began (its own are said in _run_locked)
        raise interrupted(False) from None
    finally:
        if made:  # a batch that failed leaves no empty folder behind
            with contextlib.suppress(OSError):
                out_dir.rmdir()  # only if empty: a finished batch's folder stays


@contextlib.contextmanager
def batch_lock(out_dir: Path, ledger: Path | None = None,
               progress: Progress | None = None) -> Iterator[None]:
    """One batch at a time in ``out_dir`` and in ``ledger``, never interleaved: a second
    batch into the same folder is refused at once (its start-up sweep of temporary files
    would delete the first one's); one into another folder with the same ledger waits for
    it, saying so."""
    def waiting() -> None:
        if progress is not None:
            progress.start(f"等待另一个批次用完登记册 {ledger.name if ledger else ''} "
                           "waiting for another batch to finish with the ledger", None)

    with contextlib.ExitStack() as stack:
        stack.enter_context(exclusive(out_dir / LOCK_NAME, OutputBusy(
            f"输出文件夹 {out_dir} 正被另一个批次使用，请等它完成，或换一个 --out 文件夹",
            f"output folder {out_dir} is in use by another batch: wait for it to finish, or "
            "choose another --out folder")))  # first: refused at once, never queued
        if ledger is not None:
            stack.enter_context(exclusive(ledger_lock(ledger), OutputBusy("", ""), waiting))
        stack.enter_context(scratch_folder(out_dir))
        yield


@contextlib.contextmanager
def scratch_folder(out_dir: Path) -> Iterator[Path]:
    """The batch's own temporary folder inside its locked output folder, where every
    temporary file of the batch goes (openpyxl's, with names and masked IDs, among them):
    removed when the batch ends, and by the next batch if this one was killed."""
    for stale in out_dir.glob(f"{TEMPORARY_PREFIX}tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    scratch = out_dir / f"{TEMPORARY_PREFIX}tmp-{os.getpid()}"
    before = tempfile.tempdir
    try:  # made inside: an interrupt can land anywhere, and it must still go
        scratch.mkdir(mode=0o700)
        tempfile.tempdir = str(scratch)  # and the report and worker processes (parallel.py)
        yield scratch
    finally:
        tempfile.tempdir = before
        shutil.rmtree(scratch, ignore_errors=True)


def _run_locked(paths: Sequence[Path], key: SigningKey, out_dir: Path, rules: Rules,
                printing: PrintOptions, ctx: RowContext, valid_days: int,
                progress: Progress | None, limits: Limits, ledger: Path | None,
                now: int | None, on_outcome: Callable[[RowOutcome], None] | None,
                replace: bool = False) -> BatchResult:
    as_of = ctx.as_of
    notices: list[SheetNotice] = []
    rejected: list[RowOutcome] = []
    records: list[CardRecord] = []
    batch_id = uuid.uuid4().hex
    if ledger is not None:
        # finish or undo any batch a crash interrupted, once this key is known to be the
        # ledger's (another office's key is refused here, before any file is touched)
        with Ledger(ledger, key) as journal:
            journal.check_integrity()  # a damaged ledger is refused before it is written
            for done in journal.recover():
                notices.append(SheetNotice(ledger.name, "", 0, *done.message(settle(journal,
                                                                                    done))))
    for stale in out_dir.glob(f"{TEMPORARY_PREFIX}*.part"):  # orphans of a batch killed
        stale.unlink(missing_ok=True)  # before it was journalled: nothing was printed
    removed = manifest.claim(out_dir, replace)
    if removed:
        notices.append(SheetNotice(out_dir.name or str(out_dir), "", 0,
                                   f"已删除上一批次的 {len(removed)} 个文件（--replace）",
                                   f"removed the last batch's {len(removed)} files (--replace)"))
    numbering = None
    if ledger is not None:  # journalled before any volume exists (see Ledger.start_batch)
        with Ledger(ledger, key) as journal:
            journal.start_batch(batch_id, key.entry.issuer, key.entry.kid, out_dir,
                                int(time.time()) if now is None else now)
            numbering = Numbering(journal.next_issuance())
    journalled = reported = False
    volumes = Volumes(out_dir, printing, batch_id if ledger else None, None)
    # the report process is forked first: forking after the pool's threads start is unsafe
    report = ReportWriter(background=parallel(printing.jobs))
    try:
        with ExitStack() as stack:
            pool = worker_pool(printing.jobs)
            if pool is not None:
                volumes.pool = stack.enter_context(pool)
            # opened after the forks: no child holds the connection
            history = open_history(stack, ledger, key, notices, as_of)
            if progress:
                estimates = [estimate_rows(p) for p in paths]
                total = None if None in estimates else sum(e or 0 for e in estimates)
                progress.start("读取、签发、印制 reading, signing, printing rows", total or None)
                volumes.on_saved = getattr(progress, "note", None)
            # spool: a batch reads for minutes; a big workbook's parsed sheet stays out of it
            for outcome in assess_rows(paths, ctx, rules, key,
                                       valid_days, limits, notices, spool=True,
                                       history=history, numbering=numbering):
                signals.checkpoint()  # a Ctrl-C cbor2 swallowed while signing ends it here
                report.add(outcome)
                if outcome.card is not None:
                    volumes.add(outcome.card)
                    if ledger is not None:
                        records.append(CardRecord.of(outcome.card))
                else:
                    rejected.append(outcome)
                if on_outcome:
                    on_outcome(outcome)
                if progress:
                    progress.advance(1)
            volumes.finish()
            signals.checkpoint()  # never journalled once interrupted
            if progress:
                progress.finish()
        superseded: list[bytes] = []
        report_path = out_dir / "report.xlsx"

        def write_report() -> None:
            nonlocal reported
            report.save(report_path, rules.version_hex, notices, [
                ("签发日期 as-of date", as_of.isoformat()),
                ("签名密钥 key", f"{key.entry.kid.hex()} {key.entry.issuer}"),
                ("登记册 ledger", str(ledger) if ledger else "（未使用 none）")], tag=batch_id)
            reported = True
            manifest.write(out_dir, batch_id, "cards", [*volumes.finals(), report_path])

        if ledger is not None:
            with Ledger(ledger, key) as journal:
                superseded = journal.begin_batch(
                    batch_id, key.entry.issuer, key.entry.kid, records, volumes.files,
                    out_dir, int(time.time()) if now is None else now)
                journalled = True  # from here the journal decides what becomes of the files
                _rename_into_place(volumes.files, out_dir)
                # the report and the manifest before the batch is marked complete: a batch
                # the ledger calls complete has them, and one stopped before is finished by
                # recovery, which rebuilds what is missing (issue #29, the last half second)
                write_report()
                journal.complete_batch(batch_id)
        else:
            write_report()
    except BaseException as exc:
        if not reported:
            report.abort()
        if not journalled:  # the ledger never knew these files: nothing was printed
            volumes.discard()
            if ledger is not None:
                with contextlib.suppress(Exception), Ledger(ledger) as journal:
                    journal.forget_started(batch_id)
        if isinstance(exc, KeyboardInterrupt):
            raise interrupted(journalled) from None
        if journalled and isinstance(exc, FileHeldOpen):
            raise FileHeldOpen(exc.zh + "。本批次已记入登记册：关闭文件后运行 passgen ledger recover "
                               "（或再次运行本命令）即可补完",
                               exc.en + ". The batch is in the ledger: once the file is "
                               "closed, passgen ledger recover (or running this command "
                               "again) finishes it") from None
        raise
    return BatchResult(tuple(volumes.finals()), report_path,
                       report.tally.totals(), tuple(rejected), tuple(notices),
                       tuple(superseded))


def interrupted(journalled: bool) -> Interrupted:
    """What a clerk is told when Ctrl-C (or SIGTERM) ends a batch: what was kept, what went."""
    if journalled:
        return Interrupted("已中断：本批次已记入登记册，下次运行（或 passgen ledger recover）会把它补完",
                           "interrupted: the batch is in the ledger; the next run (or passgen "
                           "ledger recover) finishes it")
    return Interrupted("已中断：没有制成任何卡片，临时文件已删除，登记册没有记录这一批；重新运行即可",
                       "interrupted: no card was made, the temporary files are removed and the "
                       "ledger records nothing of this batch; run it again")


def _rename_into_place(files: list[tuple[str, str]], out_dir: Path) -> None:
    """Rename a journalled batch's volumes to their final names, durably."""
    for tmp, final in files:
        replace(out_dir / tmp, out_dir / final)
    fsync_dir(out_dir)


def print_cards(paths: Sequence[Path], key_path: Path, passphrase: Callable[[], bytes],
                out_dir: Path, as_of: dt.date, *, issuer: str | None = None,
                valid_days: int = DEFAULT_VALID_DAYS, community: str = "",
                template: str | Path | None = None, rules: Rules | Path | None = None,
                hotline: str | None = None, duplex: bool = True, sheets_per_volume: int = 500,
                ledger: Path | None = None, jobs: int = 1, limits: Limits = DEFAULT_LIMITS,
                progress: Progress | None = None, replace: bool = False,
                columns: ColumnMap = ()) -> BatchResult:
    """``passgen cards``: load the rules, the layout and the office key (refused if it is
    not ``issuer``'s), then ``run_cards``.  Rules and layout are checked before the
    passphrase is asked for."""
    chosen_rules = rules_of(rules)
    layout = load_template(None if template is None else str(template))
    key = load_office_key(key_path, passphrase, issuer)
    printing = PrintOptions(layout, duplex, hotline, sheets_per_volume, jobs)
    return run_cards(paths, key, out_dir, chosen_rules, printing, as_of, community, valid_days,
                     progress=progress, limits=limits, ledger=ledger, replace=replace,
                     columns=columns)


def check_rosters(paths: Sequence[Path], out_dir: Path, rules: Rules | Path | None,
                  as_of: dt.date, community: str = "", limits: Limits = DEFAULT_LIMITS,
                  on_outcome: Callable[[RowOutcome], None] | None = None,
                  ledger: Path | None = None, key: SigningKey | None = None,
                  columns: ColumnMap = ()) -> BatchResult:
    """Validate only: the report, no cards (``rules``: the rules, a rules file, or None
    for the shared default).  With ``ledger``, a blank 上次颜色 is looked up there as
    ``cards`` would."""
    rules = rules_of(rules)
    notices: list[SheetNotice] = []
    rejected: list[RowOutcome] = []
    out_dir.mkdir(parents=True, exist_ok=True)
    report_path = out_dir / "report.xlsx"
    with ExitStack() as stack:
        stack.enter_context(batch_lock(out_dir))
        batch = manifest.read(out_dir)
        if batch is not None and report_path.name in batch.files:
            raise OutputExists(
                f"{report_path} 是一个制卡批次的报告，不能覆盖：请用 --out 另选文件夹",
                f"{report_path} is a card batch's report and is not overwritten: choose "
                "another folder with --out")
        report = ReportWriter(checking=True)  # temporary files in the batch's scratch folder
        try:
            for outcome in assess_rows(paths, RowContext(as_of, community, columns), rules, None,
                                       DEFAULT_VALID_DAYS, limits, notices,
                                       history=open_history(stack, ledger, key, notices,
                                                            as_of)):
                report.add(outcome)
                if outcome.error is not None:
                    rejected.append(outcome)
                if on_outcome:
                    on_outcome(outcome)
        except BaseException:
            report.abort()
            raise
        report.save(report_path, rules.version_hex, notices, [
            ("评定日期 as-of date", as_of.isoformat()),
            ("登记册 ledger", str(ledger) if ledger and ledger.exists() else "（未使用 none）")])
    return BatchResult((), report_path, report.tally.totals(), tuple(rejected), tuple(notices))


def explain_roster(paths: Sequence[Path], rules: Rules | Path | None, as_of: dt.date,
                   row: int | None = None, id_text: str | None = None,
                   sheet: str | None = None, community: str = "",
                   ledger: Path | None = None, key: SigningKey | None = None) -> list[str]:
    """``passgen rules explain``: ``explain_rows`` with a blank 上次颜色 looked up in the
    ``ledger`` (if it exists, with the pseudonym secret ``key`` unlocks) as ``cards`` would."""
    notices: list[SheetNotice] = []
    with ExitStack() as stack:
        history = open_history(stack, ledger, key, notices, as_of)
        texts = explain_rows(paths, rules, as_of, row, id_text, sheet, community, history)
    return [f"注意 notice: {n.message}" for n in notices] + texts
