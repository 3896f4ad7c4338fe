"""Shared fixtures: a tiny hand-built company whose KPIs are worked out by
hand in tests/test_kpis.py, an empty database, and a small demo company."""

from __future__ import annotations

import os
from datetime import date

import pytest

from cxhub import db, demo, workspace

from fixtures import build_judged, build_tiny

# Users see short error messages (.streamlit/config.toml); a failing page test shows the whole error.
os.environ.setdefault("STREAMLIT_CLIENT_SHOW_ERROR_DETAILS", "full")

# The demo fixtures end in a fixed month so every run sees the same data.
DEMO_END = date(2026, 10, 1)
DEMO_CUSTOMERS = 3000

@pytest.fixture
def judged_db(tmp_path):
    con = build_judged(tmp_path / "judged.duckdb")
    yield con
    con.close()


@pytest.fixture
def judged_db_path(tmp_path):
    path = tmp_path / "judged.duckdb"
    build_judged(path).close()
    return path


@pytest.fixture
def tiny_db(tmp_path):
    path = tmp_path / "tiny.duckdb"
    con = build_tiny(path)
    yield con
    con.close()


@pytest.fixture
def tiny_db_path(tmp_path):
    path = tmp_path / "tiny.duckdb"
    build_tiny(path).close()
    return path


@pytest.fixture
def ws(tmp_path):
    """An empty workspace store (joint work)."""
    con = workspace.connect(tmp_path / "test.workspace.sqlite")
    yield con
    con.close()


@pytest.fixture
def empty_db_path(tmp_path):
    path = tmp_path / "empty.duckdb"
    db.connect(path).close()
    return path


@pytest.fixture(scope="session")
def demo_db_path(tmp_path_factory):
    """A small demo company, built once per test session."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    con = db.connect(path)
    demo.build_demo(con, customers=DEMO_CUSTOMERS, end_month=DEMO_END, workspace_path=workspace.path_for(path))
    con.close()
    return path


@pytest.fixture(scope="session")
def demo_con(demo_db_path):
    """A read-only connection to the small demo company, shared by a session."""
    con = db.connect(demo_db_path, read_only=True)
    yield con
    con.close()
