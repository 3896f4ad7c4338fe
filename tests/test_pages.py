"""Every page under Streamlit's AppTest, on the demo and on an empty database."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cxhub import db

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TOUCHPOINTS = ["web", "mobile_app", "contact_center", "store", "email", "social", "chat"]
PAGES = ["overview", "channels", "data", "glossary", *TOUCHPOINTS]


def app(path, monkeypatch, params: dict | None = None) -> AppTest:
    monkeypatch.setenv(db.ENV_VAR, str(path))
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    return at.run()


def open_page(at: AppTest, url_path: str) -> AppTest:
    """Switch to a registered page by its URL path (touchpoint pages are
    generated, so they have no file of their own)."""
    if url_path == "overview":  # the default page: what the first run shows
        return at
    hashes = [h for h, info in at._registered_pages.items() if info.get("url_pathname") == url_path]
    assert hashes, f"no page at /{url_path}"
    at._page_hash = hashes[0]
    return at.run()


def texts(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "subheader", "header", "caption", "markdown", "info")
             for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("url_path", PAGES)
def test_every_page_runs_on_the_demo(demo_db_path, monkeypatch, url_path):
    at = app(demo_db_path, monkeypatch)
    at = open_page(at, url_path)
    assert not at.exception, at.exception
    assert at.title, "every page has a title"


@pytest.mark.parametrize("url_path", ["overview", "channels", "data", "glossary", "web"])
def test_every_page_runs_on_an_empty_database(empty_db_path, monkeypatch, url_path):
    # An empty database has no touchpoints: only pages that exist can be opened.
    at = app(empty_db_path, monkeypatch)
    if url_path == "web":
        assert not [h for h, i in at._registered_pages.items() if i.get("url_pathname") == "web"]
        return
    at = open_page(at, url_path)
    assert not at.exception, at.exception
    if url_path in ("overview", "channels"):
        assert "No data for" in texts(at)


def test_overview_shows_every_kpi_with_its_definition(demo_db_path, monkeypatch):
    from cxhub.kpis import CATALOG

    at = app(demo_db_path, monkeypatch)
    labels = {m.label: m for m in at.metric}
    for k in CATALOG:
        assert k.name in labels, k.name
        assert k.technical in labels[k.name].help and k.business in labels[k.name].help
    assert "data to 2026-10-31" in texts(at)
    assert any("Demo data" in m.value for m in at.sidebar.markdown)


def test_query_params_select_the_filters(demo_db_path, monkeypatch):
    at = app(demo_db_path, monkeypatch, {"period": "custom", "start": "2026-05-01", "end": "2026-05-31",
                                         "grain": "week", "segment": "smb"})
    assert not at.exception
    assert at.selectbox(key="f_period").value == "custom"
    assert at.selectbox(key="f_grain").value == "week"
    assert at.multiselect(key="f_segment").value == ["smb"]
    assert "May 2026 vs Apr 2026" in texts(at)
    # the URL keeps reproducing the view
    assert at.query_params["segment"] == "smb" and at.query_params["start"] == "2026-05-01"


def test_changing_a_filter_updates_the_url(demo_db_path, monkeypatch):
    at = app(demo_db_path, monkeypatch)
    at.selectbox(key="f_period").set_value("last_quarter").run()
    assert at.query_params["period"] == "last_quarter"
    assert "Q3 2026 vs Q2 2026" in texts(at)


def test_drill_down_to_a_touchpoint_keeps_the_period(demo_db_path, monkeypatch):
    at = app(demo_db_path, monkeypatch, {"period": "custom", "start": "2026-05-01", "end": "2026-05-31"})
    links = [p for p in at.get("page_link") if p.proto.label == "Mobile app"]
    assert links, "the overview links every touchpoint"
    assert "start=2026-05-01" in links[0].proto.query_string
    # follow the link as the browser would: its page with its query string
    for key, value in [kv.split("=") for kv in links[0].proto.query_string.split("&")]:
        at.query_params[key] = value
    at = open_page(at, "mobile_app")
    assert not at.exception
    assert at.title[0].value == "Mobile app"
    assert "May 2026 vs Apr 2026" in texts(at)


def test_touchpoint_page_shows_detractor_comments_without_customer_ids(demo_db_path, monkeypatch):
    at = app(demo_db_path, monkeypatch, {"period": "custom", "start": "2026-05-01", "end": "2026-06-30"})
    at = open_page(at, "mobile_app")
    frames = [df.value for df in at.dataframe]
    comments = next(f for f in frames if "comment" in f.columns)
    assert len(comments) > 0
    assert "customer_id" not in comments.columns
    assert not comments["comment"].astype(str).str.match(r"^C\d{8}").any()


def test_first_start_without_a_database_builds_the_demo(tmp_path, monkeypatch):
    path = tmp_path / "new" / "cxhub.duckdb"
    at = app(path, monkeypatch)
    assert not at.exception
    assert path.exists()
    con = db.connect(path)  # the app holds it read-write in this process: same configuration
    assert db.query_rows(con, "SELECT count(*) > 0 FROM customers") == [(True,)]
    assert any("Demo data" in m.value for m in at.sidebar.markdown)
    assert len(at.metric) == 14


def test_data_page_upload_dry_run_then_load(tiny_db_path, monkeypatch):
    at = open_page(app(tiny_db_path, monkeypatch), "data")
    at.selectbox(key="data_table").set_value("interactions").run()
    csv = (b"interaction_id,customer_id,touchpoint_id,occurred_at,resolved\n"
           b"n1,c1,web,2025-03-30T10:00:00Z,yes\nn2,c1,fax,2025-03-30T10:00:00Z,yes\n")
    at.file_uploader(key="data_file").set_value(("new.csv", csv, "text/csv")).run()
    assert not at.exception, at.exception
    report = "\n".join(t.value for t in at.text)
    assert "would load 1" in report and "rejected 1" in report and "unknown touchpoint_id" in report
    con = db.connect(tiny_db_path)
    assert db.query_rows(con, "SELECT count(*) FROM interactions WHERE interaction_id = 'n1'") == [(0,)]
    con.close()

    at.button(key="data_confirm").click().run()
    assert not at.exception, at.exception
    con = db.connect(tiny_db_path)
    assert db.query_rows(con, "SELECT count(*) FROM interactions WHERE interaction_id = 'n1'") == [(1,)]
    assert db.query_rows(con, "SELECT rule FROM rejected_rows") == [
        ("reference: unknown touchpoint_id (load touchpoints first)",)]
    con.close()
    history = next(df.value for df in at.dataframe if "rows_rejected" in df.value.columns)
    assert history.iloc[0]["source"] == "new.csv" and history.iloc[0]["outcome"] == "partial"
    assert len(at.get("download_button")) == 1  # the rejected rows, as CSV
