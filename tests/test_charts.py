"""Charts read on a projector and on paper: what they label and colour."""

from __future__ import annotations

import pandas as pd

from cxhub import charts


def test_the_cohort_scale_spans_the_later_months_not_month_zero():
    cohorts = pd.DataFrame({
        "cohort": pd.to_datetime(["2026-01-01"] * 3 + ["2026-02-01"] * 2),
        "month_index": [0, 1, 2, 0, 1],
        "pct": [100.0, 40.0, 30.0, 100.0, 50.0],
        "customers": [100] * 3 + [80] * 2,
        "small_sample": [False] * 5,
    })
    heat = charts.cohort_heatmap(cohorts).data[0]
    assert heat.zmax == 50.0  # the best later month, so 30%, 40% and 50% look different
    assert all(pd.isna(row[0]) for row in heat.z)  # month +0 (always 100%) is not coloured...
    assert [row[0] for row in heat.text] == ["100.0", "100.0"]  # ...but still says its value


def test_bubbles_are_named_by_a_short_title():
    assert charts.short_title("Release quality gate for the mobile app") == "Release quality…"
    assert charts.short_title("Churn model") == "Churn model"
    assert charts.short_title("**Bold** ![x](http://e/x.png)") == charts.plain("**Bold** ![x](http://e/x.png)")[:18].rsplit(" ", 1)[0] + "…"
    frame = pd.DataFrame({"initiative_id": [7], "title": ["Preference centre for email and SMS"], "owner": ["Joint"],
                          "agreed_impact": [2.5], "agreed_effort": [1.5], "cost_band": ["S"], "status": ["approved"],
                          "priority": [1.67], "needs_discussion": [False]})
    trace = charts.priority_matrix(frame).data[0]
    assert list(trace.text) == ["#7 Preference centre…"]


def test_bad_alerts_are_marked_on_a_trend_and_good_ones_are_not():
    from datetime import date

    fig = charts.go.Figure(charts.go.Scatter(x=pd.to_datetime(["2026-05-01", "2026-06-01"]), y=[80, 70]))
    found = [{"metric": "p95_latency_ms", "touchpoint": "mobile_app", "day": date(2026, 5, 4), "kind": "shift",
              "value": 1317.0, "expected": 567.0, "score": 19.0, "bad": True},
             {"metric": "availability", "touchpoint": "mobile_app", "day": date(2026, 5, 16), "kind": "shift",
              "value": 99.95, "expected": 97.15, "score": 130.3, "bad": False}]
    charts.mark_alerts(fig, found, {"p95_latency_ms": "p95 latency (ms)"})
    marks = [a for a in fig.layout.annotations if a.text == "◆"]
    assert len(marks) == 1 and pd.Timestamp(marks[0].x) == pd.Timestamp("2026-05-04")
    assert marks[0].hovertext == "2026-05-04: p95 latency (ms) shift, 1,317.00 against 567.00 expected"


def test_switching_bars_are_as_long_as_their_contacts_largest_on_top():
    switches = pd.DataFrame({  # as channel_switching orders them: most contacts first
        "from_touchpoint": ["Web", "Chat", "Store"], "to_touchpoint": ["Chat", "Web", "Web"],
        "to_id": ["chat", "web", "web"], "contacts": [9, 4, 4], "customers": [5, 4, 3]})
    bar = charts.switching_chart(switches).data[0]
    # Plotly draws the first row of a horizontal bar chart at the bottom: the largest comes last.
    assert list(bar.y) == ["Store → Web", "Chat → Web", "Web → Chat"]
    assert list(bar.x) == [4, 4, 9]  # contacts, as the axis says; customers are in the hover
    assert [c[0] for c in bar.customdata] == [3, 4, 5] and "customers" in bar.hovertemplate
