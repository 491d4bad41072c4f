"""Shared fixtures: real services (PostgreSQL, Redis, SMTP, Chromium) or, in CI, a failure."""

import contextlib
import io
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from tests import factories
from tests.notify_support import email_at_once

# Two shared cores make timing checks lie: a property is judged on its examples, not on speed.
hypothesis_settings.register_profile(
    "meridian", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# The "Another day" runs (--clock-at) look for tests that depend on today's date, not for rare
# inputs: the whole run has already drawn each property's full number of examples, so there a
# property draws 20 (a test that sets its own max_examples keeps it).
hypothesis_settings.register_profile(
    "meridian-another-day", parent=hypothesis_settings.get_profile("meridian"), max_examples=20
)
hypothesis_settings.load_profile("meridian")

IN_CI = os.environ.get("CI") == "true"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def need(condition: bool, what: str) -> None:
    """A missing real service: a failure in CI, a skip on a developer's machine."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI needs {what}")
    pytest.skip(f"{what} is not available here (CI always has it)")


def pytest_addoption(parser):
    parser.addoption(
        "--clock-at",
        default=os.environ.get("MERIDIAN_TEST_CLOCK_AT") or None,
        help="Run the suite as if the clock showed this ISO instant (it keeps ticking), "
        "e.g. 2026-12-05T23:30:00+00:00: the suite must pass whatever today is.",
    )


def pytest_configure(config):
    if config.getoption("--clock-at"):
        hypothesis_settings.load_profile("meridian-another-day")


BROWSER_TESTS = Path(__file__).resolve().parent / "browser"

# A test that asks for none of these (and has no django_db mark) cannot reach the database:
# pytest-django refuses it any query. Its answer is then the same on SQLite and PostgreSQL.
DATABASE_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "django_db_setup",
        "live_server",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
    }
)


def _uses_database(item: pytest.Item) -> bool:
    return item.get_closest_marker("django_db") is not None or bool(
        DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
    )


def pytest_itemcollected(item):
    """Mark the tests that never touch the database `no_database`, so that scripts/test.sh
    runs them in the SQLite phase only: on PostgreSQL they would repeat the very same work
    (pure logic and its properties, the agent, settings, Markdown, template filters)."""
    if not _uses_database(item):
        item.add_marker(pytest.mark.no_database)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """The browser tests run after all the others, and just before them the tests of each shared
    demo (SHARED_DEMOS: one build for all of them), together (keeping every other order).

    Playwright's sync API leaves an event loop running in the main thread from its first use
    to the end of the session, and Django refuses ORM calls there unless
    DJANGO_ALLOW_ASYNC_UNSAFE is set (tests/browser/conftest.py sets it). Run last, the
    browser tests are the only ones that ever run with that switch on.
    """
    items.sort(
        key=lambda item: (
            Path(item.path).is_relative_to(BROWSER_TESTS),
            # Last but for the browser tests: the tests that need the PostgreSQL server to
            # themselves (scripts/test.sh's browser phase uses it meanwhile; see wait_alone).
            item.get_closest_marker("server_alone") is not None,
            SHARED_DEMOS.index(name) + 1 if (name := _shared_demo_of(item)) else 0,
        )
    )


# scripts/test.sh runs the browser tests on PostgreSQL beside the postgres phase, and creates
# this file when they are done with the server.
ALONE_AFTER = os.environ.get("MERIDIAN_TEST_POSTGRES_ALONE_AFTER", "")


def wait_alone(timeout: float = 1800.0) -> None:
    """For a test marked server_alone: wait until the other phases no longer use the PostgreSQL
    server (scripts/test.sh names the file that says so; run alone, nothing to wait for)."""
    if not ALONE_AFTER:
        return
    import time

    deadline = time.monotonic() + timeout
    while not os.path.exists(ALONE_AFTER):
        if time.monotonic() > deadline:
            need(False, f"the PostgreSQL server to itself ({ALONE_AFTER} never appeared)")
        time.sleep(1.0)


@pytest.fixture(autouse=True, scope="session")
def _clock_at(request):
    """Move the whole session to an awkward moment (a weekend night, a DST change, 31 December)."""
    at = request.config.getoption("--clock-at")
    if not at:
        yield None
        return
    moment = datetime.fromisoformat(at)
    if moment.tzinfo is None:
        raise pytest.UsageError(f"--clock-at needs a UTC offset: {at!r}")
    with time_machine.travel(moment, tick=True):
        yield moment


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite, test in a database file of this session's own, never an in-memory one.

    Django's in-memory test database is shared between threads through SQLite's shared cache,
    whose table locks fail at once ("database table is locked") instead of waiting, so tests
    where two workers write at the same moment failed by chance. A file in WAL mode also
    behaves as production does, and has the raw files (main and -wal) that the anonymity tests
    read. MERIDIAN_TEST_DATABASE_NAME still chooses the file.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    test = database.setdefault("TEST", {})
    if database["ENGINE"] == "django.db.backends.sqlite3" and not test.get("NAME"):
        test["NAME"] = str(tmp_path_factory.mktemp("sqlite") / "test.sqlite3")
    if database["ENGINE"] == "django.db.backends.postgresql":
        # A commit need not wait for its WAL to reach the disk: the suite (migrations, the
        # transactional tests' flushes) commits thousands of times and never survives a crash.
        options = database.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c synchronous_commit=off".strip()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Keep a copy of the freshly migrated SQLite test database at
    MERIDIAN_TEST_DATABASE_TEMPLATE (when set and not there yet), before any test writes.

    Migrating a new SQLite test database costs about 25 s of CPU; scripts/test.sh makes one in
    the whole SQLite run and starts each "another day" run from a copy of it (--reuse-db).
    """
    template = os.environ.get("MERIDIAN_TEST_DATABASE_TEMPLATE")
    if template and not Path(template).exists():
        from django.db import connection

        if connection.vendor == "sqlite":
            with django_db_blocker.unblock():
                connection.ensure_connection()
                part = f"{template}.part"
                copy = sqlite3.connect(part)
                try:
                    connection.connection.backup(copy)
                finally:
                    copy.close()
                os.replace(part, template)  # whole or not at all for whoever copies it
    return django_db_setup


@pytest.fixture(autouse=True, scope="session")
def _postgres_flush_by_delete():
    """On PostgreSQL, empty the tables after a transactional test with DELETE, not TRUNCATE.

    Django empties every table after each transactional test (live server, worker, threads)
    with one TRUNCATE of all of them, which makes new files for each table and index: 1–7 s
    a time on the CI box, against 0.2–0.3 s for a DELETE of each table in one transaction
    (the tables hold a test's few rows). The end is the same (empty tables, sequences not
    reset, as Django's flush leaves them); foreign keys and the decision records' refusal of
    DELETE are triggers, off for that transaction (session_replication_role, which needs a
    superuser: otherwise, or when asked to reset sequences or cascade, Django's TRUNCATE).
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if not tables or reset_sequences or allow_cascade or not _superuser(self.connection):
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        delete = style.SQL_KEYWORD("DELETE FROM")
        return [
            "SET LOCAL session_replication_role = replica;",
            *(f"{delete} {style.SQL_FIELD(self.quote_name(table))};" for table in tables),
        ]

    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(DatabaseOperations, "sql_flush", sql_flush)
        yield


def _superuser(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SHOW is_superuser")
        return cursor.fetchone()[0] == "on"


# --- A migrated data directory for the `meridian` subprocess tests --------------------------


@pytest.fixture(scope="session")
def _migrated_database(tmp_path_factory) -> Path:
    """The SQLite database `meridian migrate` makes in a new data directory, made once per
    session (a fresh migrate costs about 25 s of CPU). In scripts/test.sh's whole SQLite run
    it is the copy of the freshly migrated test database (MERIDIAN_TEST_DATABASE_TEMPLATE,
    the same migrations), which is there by then."""
    template = os.environ.get("MERIDIAN_TEST_DATABASE_TEMPLATE")
    if template and Path(template).exists():
        return Path(template)
    folder = tmp_path_factory.mktemp("migrated")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MERIDIAN_", "DJANGO_"))}
    env["MERIDIAN_DATA_DIR"] = str(folder)
    subprocess.run(
        [sys.executable, "-m", "meridian.cli", "migrate", "-v", "0"],
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
        check=True,
        timeout=300,
    )
    return folder / "meridian.sqlite3"


@pytest.fixture
def migrated_data_dir(_migrated_database, tmp_path) -> Path:
    """``tmp_path`` holding a copy of a freshly migrated Meridian SQLite database, where a
    `meridian` subprocess with MERIDIAN_DATA_DIR=tmp_path finds it: for the tests whose
    subject is not the first migration (their own `meridian migrate` then has nothing to do)."""
    source = sqlite3.connect(_migrated_database)
    copy = sqlite3.connect(tmp_path / "meridian.sqlite3")  # where meridian.settings looks
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    return tmp_path


# --- The shared demos ---------------------------------------------------------------------

# A demo build costs 15–40 s of CPU and most demo tests only read it, so the tests that read
# the same demo share one build per session: the fixtures below, in the order their tests run.
SHARED_DEMOS = ("shared_demo", "shared_demo_on_a_tuesday")

# The moment `shared_demo_on_a_tuesday` is built at, and its clock stays at while its tests run.
TUESDAY_MORNING = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


@dataclass(frozen=True)
class SharedDemo:
    """The demo workspace as `meridian demo` built it, with what the command printed and what
    was mailed while it built (on-commit work run at once, tasks run at once)."""

    workspace: Any
    created: bool
    printed: str
    mailed: list[Any]


_shared_demo_open: dict[str, contextlib.ExitStack] = {}
_shared_demo_closed: set[str] = set()


def _shared_demo_of(item: pytest.Item) -> str | None:
    names = set(getattr(item, "fixturenames", ()))
    return next((name for name in SHARED_DEMOS if name in names), None)


@contextlib.contextmanager
def _shared_demo_transaction(name, django_db_blocker, tmp_path_factory, **overrides):
    """A transaction (with these settings) that lives until the last test asking for the shared
    demo ``name`` has run, then is rolled back (pytest_runtest_teardown below).

    Each test's own transaction is a savepoint within it, so nothing one test writes is seen
    by the next, and no other test ever sees the demo: pytest_collection_modifyitems runs the
    tests of one shared demo one after the other, just before the browser tests.
    """
    from django.db import transaction
    from django.test import override_settings

    stack = contextlib.ExitStack()
    _shared_demo_open[name] = stack
    try:
        stack.enter_context(django_db_blocker.unblock())
        stack.enter_context(
            override_settings(
                PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
                MEDIA_ROOT=tmp_path_factory.mktemp("demo-media"),
                **overrides,
            )
        )
        stack.enter_context(transaction.atomic())
        stack.callback(transaction.set_rollback, True)  # runs first on close: nothing is kept
        yield stack
    except BaseException:
        _shared_demo_open.pop(name, None)
        stack.close()
        raise


@pytest.fixture(scope="session")
def shared_demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo, built once per session by `meridian demo` as the clock finds it, for every
    test that reads it. Built with every task and on-commit callback run at once, so that
    `mailed` shows whether the demo emails anyone."""
    from django.core import mail
    from django.core.management import call_command
    from django.test import TestCase, override_settings

    from meridian.workspaces.demo import DEMO_EMAIL
    from meridian.workspaces.models import Membership
    from tests.support import IMMEDIATE_TASKS

    with _shared_demo_transaction("shared_demo", django_db_blocker, tmp_path_factory):
        out = io.StringIO()
        with (
            pytest.MonkeyPatch.context() as monkeypatch,
            override_settings(TASKS=IMMEDIATE_TASKS),
        ):
            email_at_once(monkeypatch)  # as outside tests/delivery: no delivery channel
            mail.outbox = []
            with TestCase.captureOnCommitCallbacks(execute=True):
                call_command("demo", stdout=out)
            mailed = list(mail.outbox)
        workspace = Membership.objects.get(user__email=DEMO_EMAIL).workspace
        printed = out.getvalue()
    yield SharedDemo(workspace, printed.startswith("Built the demo workspace"), printed, mailed)
    _shared_demo_close("shared_demo")


@pytest.fixture(scope="session")
def shared_demo_on_a_tuesday(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo admin's membership, in the demo built at TUESDAY_MORNING (a Tuesday morning in
    Europe) with the clock stopped there until its last test has run, so its deadlines, overdue
    briefs and rota turns are fixed; queued tasks are dropped."""
    from meridian.workspaces.demo import DEMO_EMAIL, demo_build
    from meridian.workspaces.models import Membership

    dropped = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    name = "shared_demo_on_a_tuesday"
    with _shared_demo_transaction(name, django_db_blocker, tmp_path_factory, TASKS=dropped) as s:
        s.enter_context(time_machine.travel(TUESDAY_MORNING, tick=False))
        workspace, _ = demo_build()
        admin = Membership.objects.select_related("workspace", "user").get(
            workspace=workspace, user__email=DEMO_EMAIL
        )
    yield admin
    _shared_demo_close(name)


def _shared_demo_close(name: str) -> None:
    stack = _shared_demo_open.pop(name, None)
    if stack is not None:
        stack.close()
        _shared_demo_closed.add(name)


def pytest_runtest_setup(item):
    name = _shared_demo_of(item)
    if name is None:
        return
    if name in _shared_demo_closed:
        raise pytest.UsageError(
            f"{item.nodeid} asks for {name} after it was rolled back: the tests that read it "
            "must run one after the other (tests/conftest.py sorts them so)."
        )
    if {"transactional_db", "live_server"} & set(item.fixturenames) or (
        (marker := item.get_closest_marker("django_db")) and marker.kwargs.get("transaction")
    ):
        raise pytest.UsageError(f"{item.nodeid}: a transactional test would empty {name}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Roll a shared demo back after the last test that reads it (once the test's own
    fixtures are torn down), before any other test runs."""
    try:
        return (yield)
    finally:
        following = None if nextitem is None else _shared_demo_of(nextitem)
        for name in list(_shared_demo_open):
            if name != following:
                _shared_demo_close(name)


DELIVERY_TESTS = Path(__file__).resolve().parent / "delivery"


@pytest.fixture(autouse=True)
def _notices_emailed_at_once(request, monkeypatch):
    """Outside tests/delivery, notification_send emails each notice at once after commit (no
    delivery channel), so a test of who is told what need not run the scheduler; holding,
    digests and urgency are tests/delivery's."""
    if Path(request.node.path).is_relative_to(DELIVERY_TESTS):
        return
    email_at_once(monkeypatch)


@pytest.fixture(autouse=True)
def _fast_password_hashing(request, settings):
    """Argon2 is deliberately slow; tests that are not about hashing use a fast hasher."""
    if "argon2" not in request.keywords:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _decision_records_flushable(request):
    """Empty the decision-record table before a transactional test's flush (SQLite only).

    The table's triggers refuse DELETE, which is how Django empties SQLite tables between
    transactional tests; meridian.decisions.immutability.purge_for_tests lifts them for that
    one statement. Set up after the database so that it is torn down before the flush.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    if not transactional:
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    from django.db import connections

    from meridian.decisions.immutability import purge_for_tests

    for connection in connections.all():
        purge_for_tests(connection)


@pytest.fixture
def workspace(db):
    return factories.workspace(name="Acme")


@pytest.fixture
def admin(workspace):
    return factories.admin_of(workspace)


@pytest.fixture
def member(workspace):
    return factories.member(workspace)


@pytest.fixture
def other_workspace(db):
    return factories.workspace(name="Globex")


@pytest.fixture
def outsider(other_workspace):
    """An admin of another workspace: sees nothing of ours."""
    return factories.admin_of(other_workspace)


# --- Browser ------------------------------------------------------------------------------


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


# What the fake microphone says, over and over (with espeak-ng; else Chromium's beep): a
# recording made in the browser then has words for the transcription to find.
SPOKEN_MICROPHONE = "Welcome to the draft walkthrough. The budget comes first."


def _spoken_microphone(folder: Path) -> list[str]:
    if shutil.which("espeak-ng") is None:
        return []
    wav = folder / "microphone.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), SPOKEN_MICROPHONE], check=True)
    return [f"--use-file-for-fake-audio-capture={wav}"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, tmp_path_factory):
    path = chromium_path()
    if path is None:
        if IN_CI:
            pytest.fail("CI needs Debian's chromium for the browser tests")
        pytest.skip("chromium is not installed here (make test installs it as root)")
    microphone = _spoken_microphone(tmp_path_factory.mktemp("microphone"))
    return {
        **browser_type_launch_args,
        "executable_path": path,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            *microphone,
        ],
    }


@pytest.fixture
def screenshot(request):
    """Save a full-page screenshot under test-artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    db = "pg" if "postgres" in os.environ.get("MERIDIAN_DATABASE_URL", "") else "sqlite"

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{name}-{db}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
