"""The folder tree is the pipeline: imports run down the stages only, without cycles; the
check stage loads no PDF or spreadsheet library; no module grows past 400 lines; no test
hook lives in library code."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from helpers import AS_OF, fixed_key

import passgen

PACKAGE = Path(passgen.__file__).parent
# Stages in pipeline order (DESIGN.md §2); a module may import its own stage or earlier ones.
STAGES = ("intake", "rules", "passes", "qr", "printing", "check", "jobs", "desk", "cli")
BASE = 0  # models, errors, dates, files, fonts, schema: shared by every stage


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    data = {"rulesets", "templates", "samples"}  # package data, not pipeline code
    return {module_name(p): p for p in PACKAGE.rglob("*.py")
            if not data & set(p.relative_to(PACKAGE).parts)}


def rank(name: str) -> int:
    parts = name.split(".")
    if len(parts) < 2 or parts[1] not in STAGES:
        return BASE
    return STAGES.index(parts[1]) + 1


def imports_of(path: Path, known: set[str]) -> set[str]:
    """passgen modules imported anywhere in the file (top level or inside functions)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("passgen"))
        elif isinstance(node, ast.ImportFrom) and node.module and \
                node.module.startswith("passgen"):
            for alias in node.names:  # `from passgen.check import scan` names a module
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in known else node.module)
    return {m for m in found if m in known}


def test_imports_run_down_the_pipeline_only() -> None:
    known = set(modules())
    upward = []
    for name, path in modules().items():
        if name == "passgen" or name.endswith("__main__"):
            continue
        for target in imports_of(path, known):
            if target != "passgen" and rank(target) > rank(name):
                upward.append(f"{name} → {target}")
    assert not upward, upward


def test_no_import_cycles() -> None:
    known = set(modules())
    graph = {name: imports_of(path, known) - {name} for name, path in modules().items()}
    # a package's __init__ re-exporting its own modules is not a cycle of stages
    for name in graph:
        graph[name] = {t for t in graph[name] if not t.startswith(name + ".")}
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, trail: list[str]) -> None:
        if state.get(node) == 2 or cycle:
            return
        if state.get(node) == 1:
            cycle.extend(trail[trail.index(node):] + [node])
            return
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            visit(target, trail + [node])
        state[node] = 2

    for node in sorted(graph):
        visit(node, [])
    assert not cycle, " → ".join(cycle)


def test_the_check_stage_loads_no_pdf_or_spreadsheet_library() -> None:
    """A checkpoint verifies a pass without reportlab or openpyxl: checked in a fresh
    interpreter that really verifies one."""
    from passgen.dates import day_start
    from passgen.models import Category, Claims, Colour
    from passgen.passes import pg1

    key = fixed_key()
    claims = Claims(key.entry.issuer, day_start(AS_OF) + 8 * 86400, day_start(AS_OF),
                    b"\x01" * 8, "张三", "511302********1234", Colour.GREEN, Category.ELDERLY,
                    b"\x00" * 4)
    text = pg1.sign(claims, key.private_key, key.entry.kid)
    script = f"""
import datetime as dt, json, sys
from passgen.check import gate, inputs, scan, verify
from passgen.passes.keys import TrustEntry, TrustList
entry = TrustEntry.from_json(json.loads({json.dumps(json.dumps(key.entry.to_json()))}), "t")
at = dt.datetime(2020, 3, 26, 12, tzinfo=dt.timezone(dt.timedelta(hours=8)))
result = verify.verify({text!r}, TrustList((entry,)), at)
print(json.dumps({{"status": result.status, "modules": sorted(sys.modules)}}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).parent)
    seen = json.loads(done.stdout)
    assert seen["status"] == "valid"
    heavy = [m for m in seen["modules"] if m.split(".")[0] in ("reportlab", "openpyxl")]
    assert not heavy, heavy


def test_no_module_over_400_lines() -> None:
    long = {name: n for name, path in modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > 400}
    assert not long, long


def test_no_test_hooks_in_library_code() -> None:
    for name, path in modules().items():
        assert "PASSGEN_TEST" not in path.read_text(encoding="utf-8"), name


def test_commands_are_thin() -> None:
    """Command modules parse, call the library and print: they import no stage internals
    that do I/O themselves (sheets, PDFs, SQLite) and stay short."""
    for name, path in modules().items():
        if not name.startswith("passgen.cli"):
            continue
        source = path.read_text(encoding="utf-8")
        for forbidden in ("import sqlite3", "reportlab", "openpyxl", "Ledger(", "open("):
            assert forbidden not in source, f"{name}: {forbidden}"
        assert len(source.splitlines()) <= 160, name


TEXT_CALLS = {"open", "read_text", "write_text", "TextIOWrapper", "fdopen"}


def test_every_text_file_passgen_opens_names_its_encoding() -> None:
    """On a Chinese Windows ``open()`` without an encoding reads and writes code page 936
    (DESIGN.md §9), which the Linux stand-in cannot imitate: so every text file is opened
    with its encoding named, and binary files with a mode that says so."""
    unnamed = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else \
                func.id if isinstance(func, ast.Name) else ""
            if called not in TEXT_CALLS or isinstance(func, ast.Attribute) and \
                    isinstance(func.value, ast.Name) and func.value.id == "os" and \
                    called == "open":
                continue  # os.open is a descriptor, no text
            words = {k.arg for k in node.keywords}
            method = isinstance(func, ast.Attribute)
            if method and called == "open" and node.args and not (
                    isinstance(node.args[0], ast.Constant)):
                continue  # an archive's member (zipfile), not a file by name
            position = 0 if method else 1  # Path.open(mode) / open(file, mode)
            modes = [a.value for a in node.args[position:position + 1]
                     if isinstance(a, ast.Constant)] + \
                [k.value.value for k in node.keywords
                 if k.arg == "mode" and isinstance(k.value, ast.Constant)]
            if "encoding" in words or any("b" in str(m) for m in modes):
                continue
            unnamed.append(f"{name}:{node.lineno} {called}")
    assert not unnamed, unnamed
