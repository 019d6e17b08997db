"""Upgrades (issue 10, part 7; decision 0038): a database made by the previous release's own code,
migrated by this code, still opens — every case decrypts, every sealed report and referral opens
with its organisation's key, the audit log verifies, no row is lost. Plus the version number's
one source, where it is shown (and where not), and the release record.

The previous release is built from git in the test: `git archive <commit> | tar -x` into a
temporary directory, then ITS `migrate` and ITS `seed_demo` run there (cwd = the old tree, so
it imports its own `amparo`, which the test checks) with this venv's Python, a fresh database
(a SQLite file, or on PostgreSQL a database the test creates and drops) and its own key file.
The tests need a full clone: a shallow one fails with the command that fixes it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from django.test import Client

import amparo
from amparo.core.permissions import Role
from tests import releases
from tests.conftest import verified_client

REPO = releases.REPO

#: Tables a migration may change on purpose (a data migration that adds or removes rows): name
#: the table and the migration here, with why. Content types, permissions and the migration
#: table grow with every new model and migration.
CHANGED_BY_MIGRATIONS: dict[str, str] = {}
GROW_WITH_THE_SCHEMA = {"django_migrations", "django_content_type", "auth_permission"}

#: Run by the OLD release's code (`manage.py shell -c`), after its `seed_demo`: one report through
#: the public API as a reporter's app sends it (the old code's own proof of work), then what the
#: test needs to know — which `amparo` was imported, the demo password, the rows per table.
OLD_RELEASE_SCRIPT = r"""
import json

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import setup_test_environment

import amparo
from amparo.reports import abuse

setup_test_environment()
reporter = Client()
puzzle = reporter.post("/api/v1/report/challenge/", {}, content_type="application/json").json()["challenge"]
answer = reporter.post(
    "/api/v1/report/",
    {
        "what_happened": "Demo: upgrade test report, fictional",
        "country": "MEX",
        "pow_challenge": puzzle,
        "pow_nonce": abuse.solve(puzzle),
    },
    content_type="application/json",
)
assert answer.status_code == 201, (answer.status_code, answer.content[:300])
counts = {}
with connection.cursor() as cursor:
    for table in sorted(connection.introspection.table_names()):
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        counts[table] = int(cursor.fetchone()[0])
print("UPGRADE-TEST " + json.dumps({
    "amparo_file": amparo.__file__,
    "password": settings.AMPARO_DEMO_PASSWORD,
    "tables": counts,
}))
"""


def run(args: list[str], cwd: Path, env: dict[str, str], what: str) -> str:
    started = time.monotonic()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"{what} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    print(f"{what}: {time.monotonic() - started:.1f} s")
    return done.stdout


def clean_env(database_url: str, var_dir: Path) -> dict[str, str]:
    """Only what the processes need: nothing of this test run's own database, keys or path
    (PYTHONPATH would let the old tree import this tree's `amparo`)."""
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if name in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="amparo.settings",
        DATABASE_URL=database_url,
        AMPARO_ENV="development",
        AMPARO_VAR_DIR=str(var_dir),
        AMPARO_KEY_FILE=str(var_dir / "keys.json"),
        MEDIA_ROOT=str(var_dir / "media"),
        AMPARO_KDF_OPSLIMIT="1",  # the sealed-key KDF at its minimum cost, as in the suite
        AMPARO_KDF_MEMLIMIT="8192",
        AMPARO_POW_BITS="4",
        AMPARO_POW_MAX_BITS="8",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


@pytest.fixture
def upgrade_database(django_db_setup, tmp_path):
    """A fresh, empty database beside the test's own: a SQLite file, or on PostgreSQL
    `<test database>_upgrade`, created here and dropped afterwards."""
    from django.db import connection

    params = connection.settings_dict
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'upgrade.sqlite3'}"
        return
    assert connection.vendor == "postgresql", connection.vendor
    import psycopg
    from psycopg import sql

    name = f"{params['NAME']}_upgrade"[:63]
    server = {
        "host": params.get("HOST") or "127.0.0.1",
        "port": params.get("PORT") or 5432,
        "user": params.get("USER") or "postgres",
        "password": params.get("PASSWORD") or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**server) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    password = f":{server['password']}" if server["password"] else ""
    try:
        yield f"postgres://{server['user']}{password}@{server['host']}:{server['port']}/{name}"
    finally:
        with psycopg.connect(**server) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def extract(commit: str, target: Path) -> None:
    target.mkdir()
    archive = subprocess.Popen(["git", "-C", str(REPO), "archive", "--format=tar", commit], stdout=subprocess.PIPE)
    unpack = subprocess.run(["tar", "-x", "-C", str(target)], stdin=archive.stdout, capture_output=True, check=False)
    assert archive.stdout is not None
    archive.stdout.close()
    assert archive.wait() == 0 and unpack.returncode == 0, f"git archive {commit} | tar -x failed: {unpack.stderr!r}"


def test_a_database_made_by_the_previous_release_migrates_and_everything_still_opens(upgrade_database, tmp_path):
    previous = releases.previous()
    try:
        commit = releases.commit_of(previous)
    except releases.ReleaseError as error:
        pytest.fail(str(error))
    old_tree = tmp_path / f"amparo-{previous.version}"
    extract(commit, old_tree)
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    env = clean_env(upgrade_database, var_dir)
    python = sys.executable

    # The previous release makes the database, with its own code.
    run([python, "manage.py", "migrate", "--noinput"], old_tree, env, f"{previous.version}: migrate")
    run([python, "manage.py", "seed_demo"], old_tree, env, f"{previous.version}: seed_demo")
    out = run([python, "manage.py", "shell", "-c", OLD_RELEASE_SCRIPT], old_tree, env, f"{previous.version}: report")
    before = json.loads(out.split("UPGRADE-TEST ", 1)[1])
    assert Path(before["amparo_file"]).resolve().is_relative_to(old_tree.resolve()), (
        f"the previous release imported {before['amparo_file']}, not its own tree"
    )
    tables = before["tables"]
    assert tables["cases_case"] >= 3 and tables["reports_signal"] >= 1, tables
    assert tables["referrals_referral"] >= 1 and tables["shelters_admission"] >= 1, tables
    assert tables["core_auditentry"] > 0 and (var_dir / "keys.json").exists()

    # This code migrates it, with the same key file, then opens everything.
    run([python, "manage.py", "migrate", "--noinput"], REPO, env, "current: migrate")
    out = run([python, "-m", "tests.integrity", before["password"]], REPO, env, "current: checks")
    after = json.loads(out.strip().splitlines()[-1])
    assert Path(after["amparo_file"]).resolve().is_relative_to(REPO), after["amparo_file"]

    assert after["audit_problems"] == [], after["audit_problems"]
    assert after["undecryptable"] == [], after["undecryptable"]
    assert after["sealed_not_opened"] == [], after["sealed_not_opened"]
    assert after["cases"] == tables["cases_case"]
    assert after["audit_entries"] == tables["core_auditentry"]
    opened = after["sealed_opened"]
    assert opened.get("reports.Signal.sealed", 0) == tables["reports_signal"], opened
    assert opened.get("referrals.Referral.sealed_content", 0) == tables["referrals_referral"], opened
    print("opened:", json.dumps(opened), "cases:", after["cases"], "audit entries:", after["audit_entries"])
    lost = sorted(set(tables) - set(after["tables"]) - set(CHANGED_BY_MIGRATIONS))
    assert not lost, (
        f"tables gone after migrating: {lost} (a migration that drops one names it in CHANGED_BY_MIGRATIONS)"
    )
    changed = {
        table: (count, after["tables"][table])
        for table, count in tables.items()
        if table in after["tables"]
        and table not in GROW_WITH_THE_SCHEMA | set(CHANGED_BY_MIGRATIONS)
        and after["tables"][table] != count
    }
    assert changed == {}, f"rows changed by migrating (table: before, after): {changed}"


def test_the_checks_name_a_record_that_does_not_open(db, staff_a, org_a):
    """The shared checks can fail: a case whose summary holds another field's token, and a
    report sealed to nobody's key, are named; the record that is intact is not."""
    from django.db import connection

    from amparo.core import sealing
    from amparo.reports.models import Signal
    from amparo.reports.services import today
    from tests import integrity
    from tests.conftest import PASSWORD, registered_case
    from tests.sealing_helpers import org_with_keys

    org_with_keys(org_a)
    good = Signal.objects.create(
        organisation=org_a, channel="web", arrived_on=today(), sealed=sealing.seal(org_a.pk, b"{}")
    )
    bad = Signal.objects.create(organisation=org_a, channel="web", arrived_on=today(), sealed=b"not sealed to anyone")
    case = registered_case(staff_a[Role.CASE_WORKER])
    clean = integrity.findings(PASSWORD)
    assert clean.audit_problems == [] and clean.undecryptable == [] and clean.cases == 1
    assert len(clean.sealed_not_opened) == 1 and clean.sealed_not_opened[0].startswith(
        f"reports.Signal.sealed {bad.pk} ("
    )
    assert clean.sealed_opened == {"reports.Signal.sealed": 1} and good.pk != bad.pk

    with connection.cursor() as cursor:  # a token moved to another field of its row: bound, so refused
        cursor.execute("UPDATE cases_case SET summary = person_name WHERE id = %s", [case.pk])
    broken = integrity.findings(PASSWORD)
    assert broken.undecryptable == [f"cases.Case {case.pk}"]
    assert any(f"cases.Case {case.pk}" in problem for problem in broken.problems)


# --- the version and the release record --------------------------------------------------


def test_the_version_has_one_source_and_the_changelog_and_record_agree():
    assert releases.SEMVER.match(amparo.__version__), amparo.__version__
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "amparo.__version__"}

    changelog = (REPO / "CHANGELOG.md").read_text()
    sections = dict(re.findall(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", changelog, flags=re.MULTILINE))
    assert "## [Unreleased]" in changelog
    assert amparo.__version__ in sections, f"CHANGELOG.md has no section for {amparo.__version__}"
    recorded = releases.recorded()
    for release in recorded:
        assert sections.get(release.version) == release.date, f"{release.version}: CHANGELOG and releases.json differ"
    assert releases.previous().key <= tuple(int(part) for part in amparo.__version__.split("."))
    assert len({release.commit for release in recorded}) == len(recorded)


def test_every_recorded_release_is_in_the_clone_and_its_tag_agrees():
    for release in releases.recorded():
        try:
            releases.commit_of(release)
        except releases.ReleaseError as error:
            pytest.fail(str(error))


def test_a_tag_pointing_elsewhere_than_the_record_is_refused(tmp_path, monkeypatch):
    # A CI clone carries no tags, so the test tags a throwaway clone of its own: the release's
    # tag is made to point at the first recorded release instead of the one the record names.
    record = json.loads(releases.RECORD.read_text())
    first, newest = record["releases"][0], record["releases"][-1]
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "--quiet", "--shared", "--no-checkout", str(REPO), str(clone)], check=True, capture_output=True
    )
    subprocess.run(["git", "-C", str(clone), "tag", "-f", "v-wrong", first["commit"]], check=True, capture_output=True)
    monkeypatch.setattr(releases, "REPO", clone)
    wrong = releases.Release(version=newest["version"], date=newest["date"], commit=newest["commit"], tag="v-wrong")
    with pytest.raises(releases.ReleaseError, match="points at"):
        releases.commit_of(wrong)
    # The same release with its tag absent is found by the recorded commit alone.
    absent = releases.Release(version=newest["version"], date=newest["date"], commit=newest["commit"], tag="v-absent")
    assert releases.commit_of(absent) == newest["commit"]
    missing = releases.Release(version="9.9.9", date="2026-12-03", commit="0" * 40, tag=None)
    with pytest.raises(releases.ReleaseError, match="is not in this clone"):
        releases.commit_of(missing)


def test_staff_see_the_version_in_the_footer_and_no_public_page_shows_it(db, staff_a, settings):
    shown = f"Amparo version {amparo.__version__}"
    page = verified_client(staff_a[Role.CASE_WORKER]).get("/")
    assert page.status_code == 200 and shown in page.content.decode()
    spanish = verified_client(staff_a[Role.ORG_ADMIN])
    spanish.cookies["django_language"] = "es"
    assert f"Amparo versión {amparo.__version__}" in spanish.get("/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    anonymous = Client()
    for path in ("/accounts/login/", "/report/", "/help/", "/health/ready", "/health/live", "/api/schema/"):
        answer = anonymous.get(path, follow=True)
        assert amparo.__version__ not in answer.content.decode(), path


def test_metrics_name_the_release(db, settings):
    settings.AMPARO_METRICS_TOKEN = "scrape-token-for-tests-0123456789"
    text = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-for-tests-0123456789").content.decode()
    assert f'amparo_build_info{{version="{amparo.__version__}"}} 1.0' in text
