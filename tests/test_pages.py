"""Every page under Streamlit's AppTest, on the demo and on an empty database."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pandas as pd
import pytest

from cxhub import access, db, joint, workspace
from cxhub.kpis import KPIS

from fixtures import app, open_page, texts

TOUCHPOINTS = ["web", "mobile_app", "contact_center", "store", "email", "social", "chat"]
PAGES = ["overview", "channels", "kpi", "voice", "priorities", "meeting", "data", "glossary",
         *(f"touchpoint-{t}" for t in TOUCHPOINTS)]


@pytest.mark.parametrize("url_path", PAGES)
def test_every_page_runs_on_the_demo(demo_db_path, monkeypatch, url_path):
    at = app(demo_db_path, monkeypatch)
    at = open_page(at, url_path)
    assert not at.exception, at.exception
    assert at.title, "every page has a title"


@pytest.mark.parametrize("url_path", ["overview", "channels", "voice", "priorities", "meeting", "data",
                                      "glossary", "touchpoint-web"])
def test_every_page_runs_on_an_empty_database(empty_db_path, monkeypatch, url_path):
    # An empty database has no touchpoints: only pages that exist can be opened.
    at = app(empty_db_path, monkeypatch)
    if url_path == "touchpoint-web":
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page("app_pages/touchpoint.py")
        return
    at = open_page(at, url_path)
    assert not at.exception, at.exception
    if url_path in ("overview", "channels"):
        assert "No data for" in texts(at)


def test_overview_shows_every_kpi_with_its_definition(demo_db_path, monkeypatch):
    from cxhub.kpis import CATALOG

    at = app(demo_db_path, monkeypatch)
    labels = {m.label: m for m in at.metric}
    # The tile's title is the short label, a link to the KPI in depth; hovering it shows the definition.
    titles = {link.proto.label: link.proto for link in at.get("page_link")}
    for k in CATALOG:
        assert k.label in labels and k.label in titles, k.label
        help_text = titles[k.label].help
        assert k.name in help_text and k.technical in help_text and k.business in help_text
        params = dict(p.split("=") for p in titles[k.label].query_string.split("&"))
        assert params["kpi"] == k.id and params["period"] == "last_full_month"
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


def test_a_segment_filter_reuses_what_just_broke(demo_db_path, monkeypatch):
    """Alert series are per touchpoint: choosing a segment redraws the KPIs,
    not the alerts (a new filter costs only what it changes)."""
    import streamlit as st
    from cxhub.insights import alerts

    asked, real = [], alerts.alerts
    monkeypatch.setattr(alerts, "alerts", lambda con, period, filters: asked.append(filters) or real(con, period, filters))
    st.cache_data.clear()
    at = app(demo_db_path, monkeypatch)
    at.multiselect(key="f_segment").set_value(["smb"]).run()
    assert not at.exception
    assert at.query_params["segment"] == "smb"
    assert len(asked) == 1 and not asked[0].segments


def test_drill_down_to_a_touchpoint_keeps_the_period(demo_db_path, monkeypatch):
    at = app(demo_db_path, monkeypatch, {"period": "custom", "start": "2026-05-01", "end": "2026-05-31"})
    links = [p for p in at.get("page_link") if p.proto.label == "Mobile app"]
    assert links, "the overview links every touchpoint"
    assert "start=2026-05-01" in links[0].proto.query_string
    # follow the link as the browser would: its page with its query string
    for key, value in [kv.split("=") for kv in links[0].proto.query_string.split("&")]:
        at.query_params[key] = value
    at = open_page(at, "touchpoint-mobile_app")
    assert not at.exception
    assert at.title[0].value == "Mobile app"
    assert "May 2026 vs Apr 2026" in texts(at)


def test_touchpoint_page_shows_detractor_comments_without_customer_ids(demo_db_path, monkeypatch):
    at = app(demo_db_path, monkeypatch, {"period": "custom", "start": "2026-05-01", "end": "2026-06-30"})
    at = open_page(at, "touchpoint-mobile_app")
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
    assert len(at.metric) == len(KPIS)  # a tile per KPI of the catalog


def test_data_page_upload_dry_run_then_load(tiny_db_path, monkeypatch):
    at = open_page(app(tiny_db_path, monkeypatch), "data")
    # Loading is an admin's: before picking that role there is no upload and no rejected rows.
    assert not [s for s in at.selectbox if s.key == "data_table"]
    assert any("is for an admin" in i.value for i in at.info)
    at.session_state["_editor"] = joint.Person("Dana", "admin")
    at = at.run()
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


# ---- joint work: edits go through the pages and land in the database --------

@pytest.fixture
def writable_demo(demo_db_path, tmp_path):
    """A copy of the demo database and its workspace that a test may change."""
    path = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_db_path, path)
    shutil.copyfile(workspace.path_for(demo_db_path), workspace.path_for(path))
    return path


def joint_page(path, monkeypatch, url_path, editor=None):
    at = app(path, monkeypatch)
    if editor:
        at.session_state["_editor"] = editor
    return open_page(at, url_path)


def read(path, fn, *args):
    """A joint.* reader on the workspace beside the database at path."""
    with workspace.opened(workspace.path_for(path)) as ws:
        return fn(ws, *args)


CMO = joint.Person("Test CMO", "CMO")


def seed_edits(at, key, edited_rows):
    at.session_state[key] = {"edited_rows": edited_rows, "added_rows": [], "deleted_rows": []}
    return at.run()


def test_identity_is_picked_once_per_session(writable_demo, monkeypatch):
    at = joint_page(writable_demo, monkeypatch, "priorities")
    assert "Pick your name and role in the sidebar to edit." in texts(at)
    at.sidebar.text_input(key="identity_name").input("Ana")
    at.sidebar.radio(key="identity_role").set_value("cio")
    at = at.sidebar.button[0].click().run()
    assert not at.exception
    assert at.session_state["_editor"] == joint.Person("Ana", "CIO")
    assert "Editing as **Ana** (CIO)" in "\n".join(c.value for c in at.sidebar.caption)


def test_priorities_edit_round_trip(writable_demo, monkeypatch):
    at = joint_page(writable_demo, monkeypatch, "priorities", CMO)
    table = at.data_editor(key="initiative_editor_0").value
    top = int(table["initiative_id"].iloc[0])
    before = read(writable_demo, joint.initiatives).set_index("initiative_id").loc[top]
    new_score = 1 if before["cmo_impact"] != 1 else 2
    at = seed_edits(at, "initiative_editor_0", {0: {"cmo_impact": new_score}})
    at = at.button(key="save_initiatives").click().run()
    assert not at.exception and not at.error
    after = read(writable_demo, joint.initiatives).set_index("initiative_id").loc[top]
    assert after["cmo_impact"] == new_score
    # Priority follows the new score: (CMO + CIO impact) / 2 over agreed effort.
    assert after["priority"] == pytest.approx((new_score + after["cio_impact"]) / 2 / after["agreed_effort"])
    last = read(writable_demo, joint.history, "initiative", top).iloc[-1]
    assert (last["field"], last["old_value"], last["new_value"], last["author"], last["role"]) == (
        "cmo_impact", str(before["cmo_impact"]), str(new_score), "Test CMO", "CMO")
    # The table starts afresh (a new key), showing the saved value.
    fresh = at.data_editor(key="initiative_editor_1").value.set_index("initiative_id")
    assert fresh.loc[top, "cmo_impact"] == new_score


@pytest.mark.parametrize("edit, message", [
    ({"cmo_impact": 7}, "CMO impact = 7 refused — CMO impact must be a whole number from 1 to 5."),
    ({"cio_impact": 5}, "CIO impact is the CIO's score; you act as CMO."),
    ({"due_date": "2020-01-01", "started_on": "2020-06-01"}, "Due 2020-01-01 refused — it is before Started 2020-06-01."),
])
def test_priorities_refuse_a_bad_edit_and_save_nothing(writable_demo, monkeypatch, edit, message):
    at = joint_page(writable_demo, monkeypatch, "priorities", CMO)
    before = read(writable_demo, joint.initiatives), read(writable_demo, joint.history)
    # A good edit on row 1 travels with the bad one on row 0: neither is saved.
    at = seed_edits(at, "initiative_editor_0", {0: edit, 1: {"title": "Renamed"}})
    at = at.button(key="save_initiatives").click().run()
    assert not at.exception
    assert any("Nothing was saved" in e.value and message in e.value for e in at.error), [e.value for e in at.error]
    after = read(writable_demo, joint.initiatives), read(writable_demo, joint.history)
    pd.testing.assert_frame_equal(after[0], before[0])
    pd.testing.assert_frame_equal(after[1], before[1])


def test_priorities_add_an_initiative(writable_demo, monkeypatch):
    at = joint_page(writable_demo, monkeypatch, "priorities", CMO)
    title_box = next(t for t in at.text_input if t.label == "Title")
    title_box.input("Store pickup lockers")
    next(m for m in at.multiselect if m.label == "Touchpoints").set_value(["store"])
    next(n for n in at.number_input if n.label == "CMO impact").set_value(4)
    at = next(b for b in at.button if b.label == "Add initiative").click().run()
    assert not at.exception and not at.error
    frame = read(writable_demo, joint.initiatives)
    new = frame[frame["title"] == "Store pickup lockers"].iloc[0]
    assert new["touchpoints"] == ["store"] and new["cmo_impact"] == 4 and new["status"] == "proposed"
    assert new["awaiting_score"] == "CIO"


def test_meeting_agenda_record_and_pack(writable_demo, monkeypatch):
    at = joint_page(writable_demo, monkeypatch, "meeting", CMO)
    at = at.date_input(key="meeting_date").set_value(date(2026, 11, 12)).run()
    assert not at.exception
    assert at.query_params["date"] == "2026-11-12"  # a link opens the same meeting
    page = texts(at)
    assert "Reviews **Oct 2026** against Sep 2026 (last meeting 09 Oct 2026)" in page
    for heading in ("1. KPIs off target", "2. Biggest movers", "3. Initiatives to discuss", "4. Open action items"):
        assert heading in page
    agenda_items = at.dataframe[0].value  # initiatives to discuss
    assert "Contact-center platform upgrade" in set(agenda_items["title"])  # overdue and scored apart
    # Record a decision and an action.
    at.text_area(key="decision_text").input("Approve the loyalty relaunch, pilot in two regions.")
    at = next(b for b in at.button if b.label == "Record decision").click().run()
    at.text_input(key="action_text").input("Pick the two pilot regions.")
    at.date_input(key="action_due").set_value(date(2026, 12, 1))
    at = next(b for b in at.button if b.label == "Record action").click().run()
    assert not at.exception and not at.error
    decided = read(writable_demo, joint.decisions, date(2026, 11, 12))
    assert list(decided["text"]) == ["Approve the loyalty relaunch, pilot in two regions."]
    raised = read(writable_demo, joint.actions, date(2026, 11, 12), date(2026, 11, 12))
    assert list(raised["text"]) == ["Pick the two pilot regions."] and list(raised["owner"]) == ["Test CMO"]
    assert "Approve the loyalty relaunch, pilot in two regions." in texts(at)
    # Close the first open action from an earlier meeting.
    first = int(at.data_editor(key="action_editor_0").value["action_id"].iloc[0])
    at = seed_edits(at, "action_editor_0", {0: {"status": "done"}})
    at = at.button(key="save_actions").click().run()
    closed = read(writable_demo, joint.actions, date(2026, 11, 12)).set_index("action_id").loc[first]
    assert closed["status"] == "done" and pd.Timestamp(closed["closed_on"]).date() == date(2026, 11, 12)
    # The pack is one click away.
    at = at.button(key="make_pack").click().run()
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Pack (HTML)" in labels and "Pack (PDF)" in labels


def test_a_period_past_the_data_tells_the_truth(judged_db_path, monkeypatch):
    """April runs past the last order (5 April): values kept, but grey, not
    judged, no change; May has no order at all: no retention, not 0% in red."""
    at = app(judged_db_path, monkeypatch, {"period": "custom", "start": "2025-04-01", "end": "2025-04-30"})
    assert not at.exception
    tiles = {m.label: m for m in at.metric}
    assert tiles["Retention rate"].value == "100.0%" and not tiles["Retention rate"].delta
    assert tiles["Churn rate"].value == "0.0%" and not tiles["Churn rate"].delta
    page = texts(at)
    assert "orders through 2025-04-05 · target 20.0%" in page  # under the "Partial" badge
    assert "Off target" not in page and "Retention rate fell" not in page and "Retention rate rose" not in page
    sidebar = "\n".join(str(c.value) for c in at.sidebar.caption)
    assert "orders: 2025-01-01 to 2025-04-05" in sidebar and "Partial for this period: orders" in sidebar

    at = app(judged_db_path, monkeypatch, {"period": "custom", "start": "2025-05-01", "end": "2025-05-31"})
    assert not at.metric and "No data for May 2025" in texts(at)  # nothing in May: no tile says 0%


def test_a_small_sample_is_greyed_with_its_n(tiny_db_path, monkeypatch):
    at = app(tiny_db_path, monkeypatch, {"period": "custom", "start": "2025-03-01", "end": "2025-03-31"})
    assert not at.exception
    csat = {m.label: m for m in at.metric}["CSAT"]
    # 4 of 7 answers satisfied: the value stays, with no change and no colour, and says why.
    assert csat.value == "57.1%" and not csat.delta
    assert "n = 7, too few to judge · target 60.0%" in texts(at)
    title = next(link.proto for link in at.get("page_link") if link.proto.label == "CSAT")  # the tile's title
    assert "n = 7 (CSAT responses) · 95% interval" in title.help


# ---- personal mode: who acts, and what each role is shown ----------------------

@pytest.mark.parametrize("url_path", PAGES)
def test_every_page_says_identities_are_not_verified(demo_db_path, monkeypatch, url_path):
    at = open_page(app(demo_db_path, monkeypatch), url_path)
    assert any("Personal mode: identities are not verified." in c.value for c in at.sidebar.caption)


def test_verbatims_are_withheld_until_a_role_that_may_read_them(demo_db_path, monkeypatch):
    at = app(demo_db_path, monkeypatch, {"period": "custom", "start": "2026-05-01", "end": "2026-06-30"})
    at = open_page(at, "touchpoint-mobile_app")
    comments = next(df.value for df in at.dataframe if "comment" in df.value.columns)
    assert set(comments["comment"]) == {access.WITHHELD} and len(comments) > 0
    at.session_state["_editor"] = joint.Person("Ana", "analyst")
    comments = next(df.value for df in at.run().dataframe if "comment" in df.value.columns)
    assert access.WITHHELD not in set(comments["comment"]) and comments["comment"].str.len().min() > 0


def test_only_an_admin_has_the_audit_page(writable_demo, monkeypatch):
    at = joint_page(writable_demo, monkeypatch, "priorities", joint.Person("Ana", "analyst"))
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/audit_log.py")
    at.session_state["_editor"] = joint.Person("Dana", "admin")
    at = at.run().switch_page("app_pages/audit_log.py").run()
    assert not at.exception and at.title[0].value == "Audit"
    audit = at.dataframe[0].value
    # The demo's story, as typed names: the CMO's and the CIO's edits, not verified.
    assert {"Claire Martin (not verified)", "Ian Okafor (not verified)"} <= set(audit["actor"])
    assert not audit["verified"].any()


def test_a_saved_form_starts_empty_and_a_refused_one_keeps_its_text(writable_demo, monkeypatch):
    at = joint_page(writable_demo, monkeypatch, "priorities", CMO)
    next(t for t in at.text_input if t.label == "Title").input("Store pickup lockers")
    at = next(b for b in at.button if b.label == "Add initiative").click().run()
    assert not at.error and next(t for t in at.text_input if t.label == "Title").value == ""
    at = next(b for b in at.button if b.label == "Add initiative").click().run()  # a second click adds nothing
    assert any("Title is required" in e.value for e in at.error)
    assert list(read(writable_demo, joint.initiatives)["title"]).count("Store pickup lockers") == 1

    at = joint_page(writable_demo, monkeypatch, "meeting", CMO)
    at.text_input(key="action_text").input("Pick the two pilot regions.")
    at = next(b for b in at.button if b.label == "Record action").click().run()  # no due date
    assert any("An action needs a due date" in e.value for e in at.error)
    assert at.text_input(key="action_text").value == "Pick the two pilot regions."  # nothing to type again


def test_a_kpi_in_depth_from_its_link(demo_db_path, monkeypatch):
    at = app(demo_db_path, monkeypatch, {"kpi": "nps", "period": "custom", "start": "2026-05-01",
                                         "end": "2026-05-31"})
    at = open_page(at, "kpi")
    assert not at.exception
    assert at.title[0].value == "Net Promoter Score" and "May 2026 vs Apr 2026" in texts(at)
    assert {"By touchpoint", "By segment", "By region"} <= {s.value for s in at.subheader}
    at.query_params["kpi"] = "happiness"
    at = at.run()
    assert any("Ignored from the link: kpi=happiness" in w.value for w in at.warning)
    assert at.title[0].value == "Retention rate"


def test_the_server_warm_up_runs_every_page_without_an_error(demo_db_path, monkeypatch, capsys):
    """What `cxhub serve` runs before it opens its port (cxhub/ui/serving.py)."""
    from cxhub.ui import identity, serving

    from fixtures import APP

    monkeypatch.setenv(db.ENV_VAR, str(demo_db_path))
    assert serving.warm(APP) > 0
    assert "failed" not in capsys.readouterr().err
    assert identity.WARMING["on"] is False  # the pages are not run as a warm-up once it is over


def test_every_chart_carries_its_period_and_filters(demo_db_path, monkeypatch):
    """A chart saved as a picture still says what it shows: the period (or,
    over time, the window) and every filter, stamped in the figure."""
    at = app(demo_db_path, monkeypatch, {"period": "custom", "start": "2026-05-01", "end": "2026-05-31",
                                         "segment": "smb"})
    for url in ("overview", "channels", "kpi", "touchpoint-web"):
        at = open_page(at, url)
        assert not at.exception, url
        figures = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
        assert figures, url
        for figure in figures:
            # In the top right corner, or the bottom right one where the column labels are on top.
            stamps = [a["text"] for a in figure["layout"].get("annotations", []) if a.get("x") == 1
                      and (a.get("y"), a.get("yanchor")) in ((1, "bottom"), (0, "top"))]
            assert len(stamps) == 1, (url, stamps)
            assert stamps[0].endswith(" · smb · all regions"), (url, stamps[0])
            assert ("May 2026 vs Apr 2026" in stamps[0]) or ("Jun 2025" in stamps[0] and "May 2026" in stamps[0])
            assert stamps[0].startswith("Website · ") == url.startswith("touchpoint-"), (url, stamps[0])


def test_the_insights_are_on_the_overview_and_the_voice_page(demo_db_path, monkeypatch):
    """Drivers split by owner and alerts on the Overview; themes with their
    comments on the Voice of the customer page, withheld for a viewer."""
    at = app(demo_db_path, monkeypatch)
    page = texts(at)
    assert "What moves NPS" in page and "What just broke" in page
    assert "of what moves NPS sits with the CIO" in page and "answers · R² = " in page  # owners, n and R²
    # The test demo is small (3,000 customers, ~40 comments a month): a quarter has enough.
    at = open_page(app(demo_db_path, monkeypatch, {"period": "last_quarter"}), "voice")
    assert not at.exception
    assert "What customers are saying" in texts(at)
    examples = [f for f in at.dataframe if "example comment" in f.value.columns]
    assert examples and not examples[0].value.empty
    # Nobody has said who they are yet: a viewer, who sees themes and scores but not the comments.
    assert set(examples[0].value["example comment"]) == {access.WITHHELD}
    assert "Comments are withheld for your role" in texts(at)
