"""pytest fixtures: a fixed signing key and trust list, the as-of date of the sample data."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers import AS_OF, fixed_key
from hypothesis import settings

from passgen.dates import SHANGHAI
from passgen.passes import keys

# No hypothesis test has a wall-clock deadline: on a loaded machine one example may take
# seconds, and a test that fails then is a broken test (issue #30).  Each test still sets
# its own number of examples.
settings.register_profile("passgen", deadline=None)
settings.load_profile("passgen")


@pytest.fixture(scope="session")
def signing_key() -> keys.SigningKey:
    return fixed_key()


@pytest.fixture(scope="session")
def trust(signing_key: keys.SigningKey) -> keys.TrustList:
    return keys.TrustList((signing_key.entry,))


@pytest.fixture
def noon() -> dt.datetime:
    return dt.datetime(AS_OF.year, AS_OF.month, AS_OF.day, 12, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def own_state_folder(tmp_path_factory: pytest.TempPathFactory,
                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test remembers revocation lists, and keeps a default ledger, in folders of its
    own, never the user's."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data")))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One loud line when the phone page's browser tests could not run here."""
    from browser import missing

    reason = missing()
    if reason is not None:
        terminalreporter.write_line(
            f"*** 手机核验页面的浏览器测试已跳过 / the phone page's browser tests were SKIPPED: "
            f"{reason} ***", yellow=True, bold=True)
