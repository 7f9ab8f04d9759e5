"""Unit tests for django_migrations_info: against the demo project for real (its own virtualenv,
.venv-demo, and a SQLite database in a temporary directory), and the parsing alone."""

import functools
import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from ansible_collections.webstack.django.plugins.modules import django_migrations_info

ROOT = Path(__file__).resolve().parents[4]
PROJECT = ROOT / "examples" / "demo_project"
DEMO_PYTHON = Path(os.environ.get("WEBSTACK_DEMO_PYTHON", str(ROOT / ".venv-demo" / "bin" / "python")))


@pytest.fixture
def run(run_module):
    return functools.partial(run_module, django_migrations_info.main)


@pytest.fixture
def demo_db(tmp_path, monkeypatch):
    """The demo project migrated into a fresh SQLite file; returns its path."""
    if not DEMO_PYTHON.exists():
        pytest.skip(f"{DEMO_PYTHON} is missing: run scripts/setup.sh venv")
    database = tmp_path / "db.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("DJANGO_SECRET_KEY", "unit-test-only-" + "x" * 40)
    monkeypatch.setenv("DJANGO_STATE_DIR", str(tmp_path))
    subprocess.run([str(DEMO_PYTHON), "manage.py", "migrate", "--noinput", "-v", "0"],
                   cwd=PROJECT, check=True, timeout=120)
    return database


def command():
    return [str(DEMO_PYTHON), str(PROJECT / "manage.py")]


def test_a_migrated_database_matches_the_graph(run, demo_db):
    result = run(command=command())
    assert result["changed"] is False
    assert result["unknown"] == [] and result["unapplied"] == []
    assert result["applied"] > 10


def test_a_migration_the_release_does_not_know_is_named(run, demo_db):
    with sqlite3.connect(demo_db) as db:
        db.execute("INSERT INTO django_migrations (app, name, applied) "
                   "VALUES ('core', '0002_release_2_marker', '2026-01-01')")
    result = run(command=command())
    assert result["unknown"] == ["core.0002_release_2_marker"]


def test_an_unapplied_migration_is_listed(run, demo_db):
    with sqlite3.connect(demo_db) as db:
        db.execute("DELETE FROM django_migrations WHERE app = 'core'")
    assert run(command=command())["unapplied"] == ["core.0001_initial"]


def test_a_failing_command_fails_with_its_output(run, tmp_path):
    result = run(command=["/bin/sh", "-c", "echo settings are broken >&2; exit 3", "manage"])
    assert result["failed"] and "rc 3" in result["msg"] and "settings are broken" in result["msg"]


def test_parse_takes_the_marked_line_after_other_output():
    out = "warning: something\n" + django_migrations_info.MARK + json.dumps({"unknown": ["a.1"]}) + "\n"
    assert django_migrations_info.parse(out) == {"unknown": ["a.1"]}
    with pytest.raises(ValueError):
        django_migrations_info.parse("nothing here\n")
