"""Charts: pure functions from small frames to Plotly figures.

One colour per touchpoint everywhere; green/amber/red only for status. Fonts
and lines are sized to read on a projector.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cxhub.kpis.catalog import KPIS, KPI, MIN_SAMPLE
from cxhub.plaintext import chart as plain

TOUCHPOINT_COLORS = {
    "web": "#1f77b4",
    "mobile_app": "#9467bd",
    "contact_center": "#8c564b",
    "store": "#17becf",
    "email": "#7f7f7f",
    "social": "#e377c2",
    "chat": "#bcbd22",
}
_EXTRA = ["#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#636363"]
STATUS_COLORS = {"green": "#2e7d32", "amber": "#f9a825", "red": "#c62828", "none": "#bdbdbd", "few": "#e0e0e0"}
INK = "#263238"  # text and lines on paper (the pack)
# Lines drawn without a touchpoint's colour: a mid tone that reads on
# Streamlit's light and dark themes alike (on screen, charts follow the theme).
NEUTRAL = "#78909c"
TARGET = "#546e7a"
HOLLOW = "rgba(0,0,0,0)"  # an unjudged point: a ring, on any background
FONT = dict(size=15)


def touchpoint_color(touchpoint_id: str) -> str:
    """A stable colour for any touchpoint, known or imported later."""
    if touchpoint_id in TOUCHPOINT_COLORS:
        return TOUCHPOINT_COLORS[touchpoint_id]
    return _EXTRA[sum(map(ord, touchpoint_id)) % len(_EXTRA)]


def _layout(fig: go.Figure, title: str | None = None, height: int = 380) -> go.Figure:
    # automargin: axis titles and tick labels get the room they need, on a
    # screen and in the pack alike (a fixed margin cut them off on paper).
    fig.update_layout(
        title=dict(text=title, automargin=True) if title else None, height=height, font=FONT,
        margin=dict(l=10, r=10, t=50 if title else 20, b=10),
        legend=dict(orientation="h", y=-0.18), hovermode="x unified",
    )
    # No background or text colour: Streamlit's chart theme gives them, light or dark.
    fig.update_xaxes(showgrid=False, automargin=True)
    fig.update_yaxes(zeroline=False, automargin=True)
    return fig


def stamp(fig: go.Figure, scope: str) -> go.Figure:
    """The period and filters in the chart's top right corner: a chart saved
    as a picture or pasted into slides still says what it shows."""
    if fig.layout.xaxis.side == "top":  # the column labels are up there: the corner below is free
        fig.add_annotation(text=plain(scope), xref="paper", yref="paper", x=1, y=0, xanchor="right",
                           yanchor="top", yshift=-6, showarrow=False, font=dict(size=12, color=NEUTRAL))
        fig.update_layout(margin=dict(b=max(fig.layout.margin.b or 0, 34)))
        return fig
    fig.add_annotation(text=plain(scope), xref="paper", yref="paper", x=1, y=1, xanchor="right",
                       yanchor="bottom", yshift=6, showarrow=False, font=dict(size=12, color=NEUTRAL))
    fig.update_layout(margin=dict(t=max(fig.layout.margin.t or 0, 44)))
    return fig


def on_paper(fig: go.Figure) -> go.Figure:
    """The figure as printed (the HTML pack): dark text on white."""
    fig.update_layout(template="plotly_white", paper_bgcolor="white", plot_bgcolor="white",
                      font=dict(color=INK))
    fig.update_xaxes(linecolor="#cfd8dc")
    fig.update_yaxes(gridcolor="#eceff1")
    return fig


def mark_alerts(fig: go.Figure, found: list[dict], labels: dict[str, str] | None = None) -> go.Figure:
    """A marker at the foot of the chart on each day with a bad alert
    (insights' "what just broke"; the top holds the incident markers and the
    scope); hovering it says what broke and by how much."""
    labels = labels or {}
    # One layout update: add_annotation one by one re-validates every annotation each time.
    markers = [
        dict(x=pd.Timestamp(a["day"]), y=0, xref="x", yref="paper", yanchor="bottom", showarrow=False, text="◆",
             font=dict(size=13, color=STATUS_COLORS["amber"]),
             hovertext=plain(f"{a['day']}: {labels.get(a['metric'], a['metric'])} {a['kind']}, "
                             f"{a['value']:,.2f} against {a['expected']:,.2f} expected"))  # not a KPI value
        for a in found if a["bad"]
    ]
    if markers:
        fig.update_layout(annotations=list(fig.layout.annotations or ()) + markers)
    return fig


def whole_number_ticks(fig: go.Figure, values, **where) -> go.Figure:
    """Ticks at whole numbers only, for counts (no '2.5 incidents')."""
    top = max([float(v) for v in values if not _nan(v)] or [1.0])
    fig.update_yaxes(tickmode="linear", tick0=0, dtick=max(1, math.ceil(top / 5)), tickformat=",d", **where)
    return fig


def _axis_title(k: KPI) -> str:
    return f"{k.name} ({k.shown_unit})"


def mark_events(fig: go.Figure, events: pd.DataFrame | None, y: float | None, row: int | None = None) -> go.Figure:
    """Shade days with IT incidents or low availability and put a marker at
    height y carrying the reason, so a dip in a CX chart can be matched to
    its cause. events: day, reason."""
    if events is None or events.empty or y is None or _nan(y):
        return fig
    kw = {"row": row, "col": 1} if row else {}
    # All bands in one layout update: add_vrect one by one re-validates every
    # shape each time (0.7 s for a year of events).
    bands = [
        dict(type="rect", xref="x", yref="y domain" if row else "paper", x0=day, x1=day + pd.Timedelta(days=1),
             y0=0, y1=1, fillcolor=STATUS_COLORS["red"], opacity=0.18, line_width=0, layer="below")
        for day in pd.to_datetime(events["day"])
    ]
    fig.update_layout(shapes=list(fig.layout.shapes or ()) + bands)
    fig.add_trace(go.Scatter(
        x=pd.to_datetime(events["day"]), y=[y] * len(events), mode="markers",
        marker=dict(symbol="triangle-down", size=11, color=STATUS_COLORS["red"]),
        name="IT incident / low availability", text=events["reason"].map(plain), hovertemplate="%{text}<extra></extra>",
    ), **kw)
    return fig


def _nan(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _peak(values: pd.Series) -> float | None:
    values = values.dropna()
    return float(values.max()) if len(values) else None


def judged_mask(frame: pd.DataFrame) -> pd.Series:
    """Rows whose value may be coloured and ranked: complete and from 30 or more."""
    return frame["complete"].astype(bool) & ~frame["small_sample"].astype(bool)


def point_texts(k: KPI, frame: pd.DataFrame) -> list[str]:
    """Hover text per point: the value as the tile shows it, its n, and why
    it is not judged when it is not (partial, too few)."""
    sure = judged_mask(frame)
    return [f"{k.format(None if _nan(v) else v)} · n = {int(n):,}" + ("" if j or _nan(v) else f" · {note}")
            for v, n, note, j in zip(frame["value"], frame["n"], frame["note"], sure)]


def trend_chart(trend: pd.DataFrame, kpi_id: str, events: pd.DataFrame | None = None,
                color: str = NEUTRAL, name: str | None = None) -> go.Figure:
    """A KPI over time against its target; points that are partial or from
    fewer than 30 are hollow grey. trend: kpi_trend() output."""
    k = KPIS[kpi_id]
    fig = go.Figure()
    x = pd.to_datetime(trend["bucket_start"])
    sure = judged_mask(trend)
    fig.add_trace(go.Scatter(
        x=x, y=trend["value"], mode="lines+markers", name=name or k.name, line=dict(color=color, width=3),
        marker=dict(size=9, color=[color if j else HOLLOW for j in sure],
                    line=dict(width=2, color=[color if j else STATUS_COLORS["none"] for j in sure])),
        text=point_texts(k, trend), hovertemplate="%{text}<extra>" + (name or k.name) + "</extra>",
        connectgaps=False,
    ))
    if trend["target"].notna().any():
        fig.add_trace(go.Scatter(x=x, y=trend["target"], mode="lines", name="Target",
                                 line=dict(color=TARGET, dash="dash", width=2),
                                 text=[k.format(t) for t in trend["target"]],
                                 hovertemplate="target %{text}<extra></extra>"))
    mark_events(fig, events, _peak(pd.concat([trend["value"], trend["target"]])))
    fig.update_yaxes(title=_axis_title(k))
    if k.fmt == "count":
        whole_number_ticks(fig, pd.concat([trend["value"], trend["target"]]))
    return _layout(fig)


def status_heatmap(frame: pd.DataFrame, kpi_ids: list[str]) -> go.Figure:
    """Touchpoint × KPI: colour = status (grey when there is no target, light
    grey when the value is partial or from fewer than 30), text = value.
    frame: by_touchpoint() output."""
    tps = list(dict.fromkeys(frame["touchpoint"]))
    codes = {"red": 0, "amber": 1, "green": 2, "none": 3, "few": 4}
    labels = [plain(tp) for tp in tps]  # data text: never markup
    cells = {(r["touchpoint"], r["kpi_id"]): r for r in frame.to_dict("records")}
    z, text, hover = [], [], []
    for tp in tps:
        zr, tr, hr = [], [], []
        for kpi_id in kpi_ids:
            r = cells.get((tp, kpi_id))
            k = KPIS[kpi_id]
            if r is None or _nan(r["value"]):
                zr.append(codes["none"]); tr.append("–"); hr.append(f"{plain(tp)} · {k.name}: no data")
                continue
            sure = bool(r["complete"]) and not r["small_sample"]
            zr.append(codes[r["status"]] if sure else codes["few"])
            tr.append(k.format(r["value"]) + ("" if sure else "*"))
            hr.append(f"{plain(tp)} · {k.name}: {k.format(r['value'])} · n = {int(r['n']):,} — {r['note']}")
        z.append(zr); text.append(tr); hover.append(hr)
    scale = [[0, STATUS_COLORS["red"]], [0.2, STATUS_COLORS["red"]], [0.2, STATUS_COLORS["amber"]],
             [0.4, STATUS_COLORS["amber"]], [0.4, STATUS_COLORS["green"]], [0.6, STATUS_COLORS["green"]],
             [0.6, STATUS_COLORS["none"]], [0.8, STATUS_COLORS["none"]], [0.8, STATUS_COLORS["few"]],
             [1, STATUS_COLORS["few"]]]
    fig = go.Figure(go.Heatmap(
        z=z, x=[KPIS[k].name for k in kpi_ids], y=labels, text=text, texttemplate="%{text}",
        customdata=hover, hovertemplate="%{customdata}<extra></extra>", colorscale=scale, zmin=-0.5, zmax=4.5,
        showscale=False, xgap=3, ygap=3, textfont=dict(size=14),
    ))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(side="top")
    return _layout(fig, height=90 + 52 * len(tps))


def cohort_heatmap(cohorts: pd.DataFrame) -> go.Figure:
    """Cohort retention: rows = first-order month, columns = months since."""
    if cohorts.empty:
        return _layout(go.Figure())
    pivot = cohorts.pivot(index="cohort", columns="month_index", values="pct").sort_index()
    sizes = cohorts.groupby("cohort")["customers"].first().reindex(pivot.index)
    small = sizes < MIN_SAMPLE
    labels = [f"{pd.Timestamp(c):%b %Y} (n = {n:,})" for c, n in zip(pivot.index, sizes)]
    share = KPIS["retention_rate"]  # a cell is a retention share: shown as the KPI shows it
    # A cohort of fewer than 30 customers keeps its numbers but gets no colour.
    coloured = pivot.copy()
    coloured.loc[small.values] = float("nan")
    # Month +0 is every cohort's own first month (100% by definition): left
    # uncoloured, so the scale spans the months that tell cohorts apart.
    if 0 in coloured.columns:
        coloured[0] = float("nan")
    later = coloured.drop(columns=[0], errors="ignore").stack()
    top = float(later.max()) if not later.empty else 100.0
    hover = [[f"cohort {label}, month +{m}: " + ("no data" if pd.isna(v) else f"{share.format(v)} still buying")
              + (" · too few to judge" if few else "") for m, v in zip(pivot.columns, row)]
             for label, row, few in zip(labels, pivot.values, small)]
    fig = go.Figure(go.Heatmap(
        z=coloured.values, x=[f"+{m}" for m in pivot.columns], y=labels, colorscale="Blues", zmin=0,
        zmax=max(top, 1.0),
        text=[["" if pd.isna(v) else share.format(v).rstrip("%") for v in row] for row in pivot.values],
        texttemplate="%{text}", textfont=dict(size=13), customdata=hover,
        hovertemplate="%{customdata}<extra></extra>", colorbar=dict(title="%"),
    ))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title="months since first order")
    return _layout(fig, height=140 + 24 * len(labels))


def _ranked(frame: pd.DataFrame, k: KPI) -> pd.DataFrame:
    """Rows with a value, judged ones ranked best first, then the unjudged
    (partial or fewer than 30), which are never ranked."""
    rows = frame.dropna(subset=["value"]).assign(_sure=lambda f: judged_mask(f))
    rows = rows.sort_values(["_sure", "value"], ascending=[False, k.better == "lower"], kind="stable")
    return rows


def touchpoint_bars(frame: pd.DataFrame, kpi_id: str) -> go.Figure:
    """One KPI for every touchpoint, with the best-to-worst gap drawn in
    (from judged values only). frame: by_touchpoint() rows for that KPI."""
    k = KPIS[kpi_id]
    rows = _ranked(frame[frame.kpi_id == kpi_id], k)
    fig = go.Figure(go.Bar(
        x=rows["touchpoint"].map(plain), y=rows["value"], marker_color=[touchpoint_color(t) for t in rows["touchpoint_id"]],
        text=[k.format(v) + ("" if s else f" (n = {int(n):,})") for v, s, n in zip(rows["value"], rows["_sure"],
                                                                                 rows["n"])],
        textposition="outside", customdata=point_texts(k, rows),
        hovertemplate="%{x}: %{customdata}<extra></extra>",
        marker_opacity=[1 if s else 0.35 for s in rows["_sure"]],
    ))
    rated = rows[rows["_sure"]]
    if len(rated) >= 2:
        best, worst = rated["value"].max(), rated["value"].min()
        fig.add_hrect(y0=worst, y1=best, fillcolor=STATUS_COLORS["amber"], opacity=0.12, line_width=0)
        fig.add_annotation(xref="paper", x=1, y=best, yanchor="bottom", showarrow=False,
                           text=f"gap best–worst: {k.format_change(best - worst).lstrip('+')}")
    if rows["target"].notna().any():
        t = rows["target"].dropna().iloc[0]
        fig.add_hline(y=t, line_dash="dash", line_color=TARGET, annotation_text="target")
    fig.update_yaxes(title=_axis_title(k))
    fig = _layout(fig, height=420)
    fig.update_layout(hovermode="closest")
    return fig


def touchpoint_lines(series: pd.DataFrame, kpi_id: str) -> go.Figure:
    """One KPI over time, a line per touchpoint. series: touchpoint_id,
    touchpoint, bucket_start, value."""
    k = KPIS[kpi_id]
    fig = go.Figure()
    for (tp_id, tp), part in series.groupby(["touchpoint_id", "touchpoint"], sort=False):
        color = touchpoint_color(tp_id)
        sure = judged_mask(part)
        fig.add_trace(go.Scatter(
            x=pd.to_datetime(part["bucket_start"]), y=part["value"], name=plain(tp), mode="lines+markers",
            line=dict(color=color, width=3),
            marker=dict(size=8, color=[color if j else HOLLOW for j in sure], line=dict(width=2, color=color)),
            text=point_texts(k, part), hovertemplate="%{text}<extra>" + plain(tp).replace("%", "%%") + "</extra>"))
    fig.update_yaxes(title=_axis_title(k))
    return _layout(fig)


def cx_and_it(csat: pd.DataFrame, health: pd.DataFrame, events: pd.DataFrame | None, color: str) -> go.Figure:
    """Where the CMO's and CIO's views meet: CSAT on top, availability and
    incidents below, on one time axis. csat: bucket_start, value, target;
    health: bucket_start, availability, incidents, p95_latency_ms."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.55, 0.45],
                        specs=[[{}], [{"secondary_y": True}]])
    x = pd.to_datetime(csat["bucket_start"])
    fig.add_trace(go.Scatter(x=x, y=csat["value"], name="CSAT %", mode="lines+markers",
                             line=dict(color=color, width=3)), row=1, col=1)
    if csat["target"].notna().any():
        fig.add_trace(go.Scatter(x=x, y=csat["target"], name="CSAT target", mode="lines",
                                 line=dict(color=TARGET, dash="dash")), row=1, col=1)
    hx = pd.to_datetime(health["bucket_start"])
    fig.add_trace(go.Bar(x=hx, y=health["incidents"], name="Incidents", marker_color=STATUS_COLORS["red"],
                         opacity=0.55), row=2, col=1, secondary_y=True)
    fig.add_trace(go.Scatter(x=hx, y=health["availability"], name="Availability %", mode="lines+markers",
                             line=dict(color=NEUTRAL, width=2)), row=2, col=1)
    mark_events(fig, events, _peak(csat["value"]), row=1)
    fig.update_yaxes(title="CSAT %", row=1, col=1)
    fig.update_yaxes(title="Availability %", row=2, col=1, secondary_y=False)
    fig.update_yaxes(title="Incidents", row=2, col=1, secondary_y=True, showgrid=False)
    whole_number_ticks(fig, health["incidents"], row=2, col=1, secondary_y=True)
    return _layout(fig, height=520)


def volume_chart(volume: pd.DataFrame, color: str) -> go.Figure:
    """Contacts and survey answers over time. volume: bucket_start, contacts, responses."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = pd.to_datetime(volume["bucket_start"])
    fig.add_trace(go.Bar(x=x, y=volume["contacts"], name="Contacts", marker_color=color, opacity=0.75))
    fig.add_trace(go.Scatter(x=x, y=volume["responses"], name="Survey answers", mode="lines+markers",
                             line=dict(color=NEUTRAL, width=2)), secondary_y=True)
    fig.update_yaxes(title="Contacts", secondary_y=False)
    fig.update_yaxes(title="Survey answers", secondary_y=True, showgrid=False)
    return whole_number_ticks(_layout(fig), volume["responses"], secondary_y=True)


def breakdown_bars(frame: pd.DataFrame, kpi_id: str, dimension: str) -> go.Figure:
    """One KPI by segment or region, coloured by status; groups that are
    partial or from fewer than 30 are light grey, labelled with their n and
    ranked after the others. frame: by_dimension() rows."""
    k = KPIS[kpi_id]
    rows = _ranked(frame[frame.kpi_id == kpi_id], k)
    colors = [STATUS_COLORS[st] if s else STATUS_COLORS["few"] for st, s in zip(rows["status"], rows["_sure"])]
    fig = go.Figure(go.Bar(x=rows["slice"].map(plain), y=rows["value"], marker_color=colors,
                           marker_line=dict(color=STATUS_COLORS["none"], width=1),
                           text=[k.format(v) + ("" if s else f" (n = {int(n):,})")
                                 for v, s, n in zip(rows["value"], rows["_sure"], rows["n"])],
                           textposition="outside", customdata=point_texts(k, rows),
                           hovertemplate="%{x}: %{customdata}<extra></extra>"))
    fig.update_yaxes(title=_axis_title(k))
    fig.update_xaxes(title=dimension)
    fig = _layout(fig, height=340)
    fig.update_layout(hovermode="closest")
    return fig


def switching_chart(switches: pd.DataFrame) -> go.Figure:
    """Where customers went after an unresolved contact: a bar per
    (from → to) pair, as long as its unresolved contacts, largest on top.
    switches: from_touchpoint, to_touchpoint, to_id, contacts, customers
    (in the order to show them, largest first)."""
    rows = switches.iloc[::-1]  # a horizontal bar chart draws its first row at the bottom
    fig = go.Figure(go.Bar(
        y=rows["from_touchpoint"].map(plain) + " → " + rows["to_touchpoint"].map(plain), x=rows["contacts"],
        orientation="h", customdata=rows[["customers"]],
        marker_color=[touchpoint_color(t) for t in rows["to_id"]],
        hovertemplate="%{y}: %{x:,} contacts by %{customdata[0]:,} customers<extra></extra>",  # not a KPI value
    ))
    fig.update_xaxes(title="unresolved contacts followed within 7 days by another channel")
    fig = _layout(fig, height=120 + 26 * len(rows))
    fig.update_layout(hovermode="closest")
    return fig


OWNER_COLORS = {"CMO": "#d81b60", "CIO": "#1e88e5", "Joint": "#6d4c41"}
COST_SIZES = {"S": 18, "M": 28, "L": 40, "XL": 54}


def spread_scores(initiatives: pd.DataFrame) -> pd.DataFrame:
    """The scored initiatives, with those on the same spot of the matrix
    nudged apart sideways so every bubble can be seen."""
    scored = initiatives.dropna(subset=["agreed_impact", "agreed_effort"]).copy()
    nth = scored.groupby(["agreed_effort", "agreed_impact"]).cumcount()
    size = scored.groupby(["agreed_effort", "agreed_impact"])["initiative_id"].transform("count")
    scored["x"] = scored["agreed_effort"] + (nth - (size - 1) / 2) * 0.22
    return scored


def short_title(title: str, width: int = 18) -> str:
    """A title cut at a word boundary to fit beside a bubble, as plain text."""
    text = plain(title)
    if len(text) <= width:
        return text
    return text[:width].rsplit(" ", 1)[0] + "…"


def priority_matrix(initiatives: pd.DataFrame) -> go.Figure:
    """Agreed impact (up) against agreed effort (across), one bubble per
    scored initiative, coloured by owner and sized by cost band. Quick wins
    sit top left. initiatives: joint.initiatives() output."""
    scored = spread_scores(initiatives)
    fig = go.Figure()
    for owner, color in OWNER_COLORS.items():
        part = scored[scored["owner"] == owner]
        if part.empty:
            continue
        fig.add_trace(go.Scatter(
            x=part["x"], y=part["agreed_impact"], mode="markers+text", name=owner,
            # The bubble says which initiative it is, not only its number.
            text=[f"#{i} {short_title(t)}" for i, t in zip(part["initiative_id"], part["title"])],
            textposition="middle right", textfont=dict(size=11),
            marker=dict(size=part["cost_band"].map(COST_SIZES), color=color, opacity=0.85,
                        line=dict(width=[3 if d else 1 for d in part["needs_discussion"]],
                                  color=[STATUS_COLORS["red"] if d else "white" for d in part["needs_discussion"]])),
            customdata=part[["title", "cost_band", "status", "priority", "agreed_effort"]].assign(title=part["title"].map(plain)),
            # initiative scores, not KPI values:
            hovertemplate=("<b>%{customdata[0]}</b><br>impact %{y:.1f} · effort %{customdata[4]:.1f} · "  # not a KPI value
                           "priority %{customdata[3]:.2f}<br>cost %{customdata[1]} · %{customdata[2]}<extra></extra>"),  # not a KPI value
        ))
    fig.add_shape(type="line", x0=0.5, y0=0.5, x1=5.5, y1=5.5, line=dict(color="#cfd8dc", dash="dot"))
    for x, y, text in ((1.2, 5.3, "quick wins"), (4.8, 5.3, "big bets"), (1.2, 0.8, "fill-ins"),
                       (4.8, 0.8, "money pits")):
        fig.add_annotation(x=x, y=y, text=text, showarrow=False, font=dict(color=TARGET, size=13))
    fig.update_xaxes(title="Agreed effort / risk (1–5)", range=[0.5, 5.5], dtick=1)
    fig.update_yaxes(title="Agreed customer impact (1–5)", range=[0.5, 5.5], dtick=1)
    fig = _layout(fig, height=460)
    fig.update_layout(hovermode="closest")
    return fig


def progress_chart(trend: pd.DataFrame, kpi_id: str, started_on, baseline: float | None = None,
                   expected: float | None = None, title: str | None = None) -> go.Figure:
    """One target KPI of an initiative by month: a line at its start and,
    when an effect was promised, the level it promised (baseline + expected)."""
    k = KPIS[kpi_id]
    fig = trend_chart(trend, kpi_id)
    start = pd.Timestamp(started_on)
    fig.add_shape(type="line", x0=start, x1=start, y0=0, y1=1, yref="paper", line=dict(color=NEUTRAL, dash="dot"))
    fig.add_annotation(x=start, y=1, yref="paper", text="started", showarrow=False, yanchor="bottom")
    if baseline is not None and expected is not None:
        goal = baseline + expected
        fig.add_trace(go.Scatter(
            x=[start, pd.to_datetime(trend["bucket_start"]).max()], y=[goal, goal], mode="lines",
            name=f"Promised ({k.format_change(expected)})", line=dict(color=STATUS_COLORS["green"], dash="dash"),
        ))
    if title:
        fig.update_layout(title=title, margin=dict(t=50))
    return fig


def drivers_bars(doc: dict) -> go.Figure:
    """What moves a KPI: each driver's share of the explained variance, in
    its owner's colour, largest at the top; the sign says which way it moves
    the KPI. doc: an insights.drivers document."""
    rows = list(reversed(doc["drivers"]))
    fig = go.Figure(go.Bar(
        x=[d["share"] for d in rows], y=[f"{d['label']} ({d['direction']}, {d['owner']})" for d in rows],
        orientation="h",
        marker_color=[OWNER_COLORS[d["owner"]] for d in rows],
        customdata=[d["owner"] for d in rows],
        hovertemplate="%{y}: %{x:.1f}% of what the model explains · owner %{customdata}<extra></extra>",  # not a KPI value
    ))
    fig.update_xaxes(title="share of explained variance (%)", rangemode="tozero")
    return _layout(fig, height=110 + 34 * len(rows))
