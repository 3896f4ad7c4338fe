"""CX Hub benchmark: one command, a table on screen, JSON on disk.

    python benchmarks/run.py --customers 1000000
    python benchmarks/run.py --customers 20000 --smoke     (CI: does it still run?)

Measures, on a demo database of the given size (built once and reused):
demo build time and size; import rates from CSV and Parquet; each KPI engine
call the pages make (cold = first call on a fresh connection, warm = median
of repeats); each page's full script run under AppTest, cold and warm, with
the peak RSS of that process; the Overview on real servers, asked for over
their websocket as a browser asks (a server just started with no warm-up, a
new session, a rerun; `cxhub serve`'s warm-up and its first visitor; and,
with Chromium, how long the browser takes to draw it); `cxhub kpis` as a
new process; a score and a decision saved to the workspace; and, in the
same run, a pandas baseline (read the fact tables, group by: how a typical
dashboard computes the Overview) and the DuckDB floor (the Overview's SQL
run directly), with the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cxhub import access, db, demo, ingest, workspace  # noqa: E402
from cxhub.insights import alerts, drivers, themes  # noqa: E402
from cxhub.joint import agenda  # noqa: E402
from cxhub.kpis import KPIS, engine  # noqa: E402
from cxhub.kpis.sources import family_query  # noqa: E402
from cxhub.kpis.period import Filters, Period, add_months, month_end, preset_period, trend_window  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
BENCHMARK = access.cli_person()  # imports as `cxhub import` runs them
END_MONTH = date(2026, 10, 1)
MEETING = date(2026, 11, 12)  # the demo's next steering meeting, after END_MONTH


def timed(fn, repeats: int) -> tuple[float, float]:
    """(first call, median of the following calls) in seconds."""
    t0 = time.perf_counter()
    fn()
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        warm.append(time.perf_counter() - t0)
    return cold, statistics.median(warm) if warm else cold


def build(customers: int) -> tuple[Path, float | None]:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"demo-{customers}.duckdb"
    if path.exists():
        db.connect(path).close()  # a file from an older CX Hub: bring its schema up to date
        return path, None
    t0 = time.perf_counter()
    with db.writing(path) as con:
        demo.build_demo(con, customers=customers, end_month=END_MONTH, workspace_path=workspace.path_for(path))
    return path, time.perf_counter() - t0


def import_rates(path: Path, limit_rows: int) -> dict:
    """Export interactions to CSV and Parquet, load each into a fresh database."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = db.connect(path, read_only=True)
        n = min(limit_rows, db.query_rows(src, "SELECT count(*) FROM interactions")[0][0])
        for fmt, name in (("csv", "interactions.csv"), ("parquet", "interactions.parquet")):
            target = tmp / name
            option = "(FORMAT csv, HEADER)" if fmt == "csv" else "(FORMAT parquet)"
            with src.cursor() as cur:
                cur.execute(f"COPY (SELECT * FROM interactions LIMIT {n}) TO '{target}' {option}")
        with src.cursor() as cur:
            cur.execute(f"COPY touchpoints TO '{tmp / 'tp.csv'}' (FORMAT csv, HEADER)")
        src.close()
        for fmt, name in (("csv", "interactions.csv"), ("parquet", "interactions.parquet")):
            dest = tmp / f"load-{fmt}.duckdb"
            ingest.import_file(dest, "touchpoints", tmp / "tp.csv", person=BENCHMARK)
            t0 = time.perf_counter()
            result = ingest.import_file(dest, "interactions", tmp / name, person=BENCHMARK)
            seconds = time.perf_counter() - t0
            assert result.rows_loaded == n, result.summary()
            out[fmt] = {"rows": n, "seconds": round(seconds, 2), "rows_per_s": round(n / seconds)}
    return out


def incremental_imports(path: Path, smoke: bool = False) -> dict:
    """An import's cost grows with the file, not the database: on a copy of
    the benchmark database, (a) a day's export of 10,000 contacts and (b)
    200,000 contacts of a single customer (a bot, a test account) spread over
    the last 60 days, each timed end to end as `cxhub import` runs it (the
    file copy, the load and the rollup refresh)."""
    out = {}
    with tempfile.TemporaryDirectory(dir=RESULTS) as tmp:
        tmp = Path(tmp)
        copy = tmp / "copy.duckdb"
        shutil.copyfile(path, copy)
        con = db.connect(copy, read_only=True)
        last = db.query_rows(con, "SELECT max(occurred_at)::DATE FROM interactions")[0][0]
        known = db.query_rows(con, "SELECT customer_id FROM customers LIMIT 10000")
        con.close()
        day_rows = 1_000 if smoke else 10_000
        skew_rows = 20_000 if smoke else 200_000
        header = "interaction_id,customer_id,touchpoint_id,occurred_at,intent,resolved,handle_seconds\n"
        day = tmp / "day.csv"
        day.write_text(header + "".join(
            f"day-{i},{known[i % len(known)][0]},contact_center,{last} {i % 24:02d}:{i % 60:02d}:00,billing,"
            f"{'true' if i % 3 else 'false'},120\n" for i in range(day_rows)))
        skew = tmp / "skew.csv"
        start = datetime.combine(last - timedelta(days=59), datetime.min.time())
        step = 60 * 86400 / skew_rows
        skew.write_text(header + "".join(
            f"bot-{i},bot-1,web,{start + timedelta(seconds=i * step):%Y-%m-%d %H:%M:%S},support,true,1\n"
            for i in range(skew_rows)))
        for name, file, rows in (("import a day's 10k contacts", day, day_rows),
                                 ("import 200k contacts of one customer", skew, skew_rows)):
            t0 = time.perf_counter()
            result = ingest.import_file(copy, "interactions", file, person=BENCHMARK)
            seconds = time.perf_counter() - t0
            assert result.rows_loaded == rows, result.summary()
            out[name] = {"rows": rows, "seconds": round(seconds, 2)}
    return out


def engine_calls(path: Path, repeats: int) -> dict:
    con = db.open_snapshot(path)
    ws = workspace.connect(workspace.path_for(path))
    period = preset_period("last_full_month", month_end(END_MONTH) + (date(2000, 1, 2) - date(2000, 1, 1)))
    window = trend_window(period, "month")
    two_years = Period(window.start.replace(year=window.start.year - 1), window.end)
    calls = {
        "scorecard": lambda: engine.scorecard(con, period),
        "trend csat 12m": lambda: engine.kpi_trend(con, "csat", window, "month"),
        "trend retention 12m": lambda: engine.kpi_trend(con, "retention_rate", window, "month"),
        "trend fcr 12m": lambda: engine.kpi_trend(con, "fcr", window, "month"),
        "by_touchpoint all KPIs": lambda: engine.by_touchpoint(con, None, period),
        "cohort retention 24x24": lambda: engine.cohort_retention(con, two_years),
        "scorecard mobile_app": lambda: engine.scorecard(con, period, Filters(touchpoints=("mobile_app",))),
        "trend retention 12m mobile_app": lambda: engine.kpi_trend(con, "retention_rate", window, "month",
                                                                  Filters(touchpoints=("mobile_app",))),
        "agenda (meeting of 12 Nov)": lambda: agenda.build_agenda(con, ws, MEETING),
        # The insights (each cached per period and filters in the app: a rerun costs nothing).
        "drivers of NPS (month)": lambda: drivers.drivers(con, "nps", period),
        "alerts, every series (year of history)": lambda: alerts.alerts(con, period),
        "themes (month)": lambda: themes.themes(con, period),
        "themes (quarter)": lambda: themes.themes(con, Period(add_months(period.start, -2), period.end)),
    }
    out = {}
    for name, fn in calls.items():
        cold, warm = timed(fn, repeats)
        out[name] = {"cold": round(cold, 3), "warm": round(warm, 3)}
    return out


def floor_and_baseline(path: Path, repeats: int) -> dict:
    """The Overview's numbers three ways: the engine, the raw SQL of every
    query the Overview runs (the DuckDB floor), and pandas on whole fact
    tables (the baseline, scorecard numbers only)."""
    import pandas as pd

    con = db.open_snapshot(path)
    period = Period(END_MONTH, month_end(END_MONTH))
    periods = [period, period.previous()]
    families = ("orders", "surveys", "interactions", "health")
    scorecard_sql = [family_query(f, periods, Filters()) for f in families]

    def run_all(queries):
        for sql, params in queries:
            with con.cursor() as cur:
                cur.execute(sql, params).fetchall()

    def floor():
        run_all(scorecard_sql)

    def cxhub():
        engine.scorecard(con, period)

    def baseline():
        # What a typical dashboard does: pull the facts, then group in pandas.
        with con.cursor() as cur:
            orders = cur.execute("SELECT customer_id, ordered_at, amount FROM orders").df()
            surveys = cur.execute("SELECT touchpoint_id, responded_at, nps, csat, ces FROM surveys").df()
            inter = cur.execute("SELECT i.customer_id, i.occurred_at, i.resolved, t.kind FROM interactions i "
                                "JOIN touchpoints t USING (touchpoint_id)").df()
            health = cur.execute("SELECT * FROM system_health").df()
        start, end = pd.Timestamp(period.start), pd.Timestamp(period.end) + pd.Timedelta(days=1)
        pstart = pd.Timestamp(period.previous().start)
        cur_o = orders[(orders.ordered_at >= start) & (orders.ordered_at < end)]
        prev_o = orders[(orders.ordered_at >= pstart) & (orders.ordered_at < start)]
        per_c = cur_o.groupby("customer_id").agg(n=("amount", "size"), amt=("amount", "sum"))
        retained = len(set(prev_o.customer_id) & set(cur_o.customer_id)) / max(1, prev_o.customer_id.nunique())
        _ = (retained, (per_c.n >= 2).mean(), per_c.amt.sum() / len(per_c))
        s = surveys[(surveys.responded_at >= start) & (surveys.responded_at < end)]
        _ = ((s.nps >= 9).sum() - (s.nps <= 6).sum()) / s.nps.notna().sum(), (s.csat >= 4).sum() / s.csat.notna().sum()
        by_tp = s.dropna(subset=["csat"]).groupby("touchpoint_id").csat.agg(["size", lambda x: (x >= 4).mean()])
        _ = by_tp
        i = inter[(inter.occurred_at >= start) & (inter.occurred_at < end)]
        _ = (i.kind == "digital").mean(), i.customer_id.notna().mean()
        h = health[(health.day >= start) & (health.day < end)]
        _ = h.availability_pct.mean(), h.incidents.sum()

    out = {}
    for name, fn in (("duckdb floor", floor), ("cxhub scorecard", cxhub), ("pandas baseline", baseline)):
        cold, warm = timed(fn, repeats)
        out[name] = {"cold": round(cold, 3), "warm": round(warm, 3)}
    out["ratio baseline/cxhub"] = round(out["pandas baseline"]["warm"] / out["cxhub scorecard"]["warm"], 1)
    out["ratio cxhub/floor"] = round(out["cxhub scorecard"]["warm"] / out["duckdb floor"]["warm"], 2)
    return out


PAGE_SCRIPT = r"""
import json, os, sys
sys.path.insert(0, os.environ["CX_TESTS"])
import time
from streamlit.testing.v1 import AppTest
from fixtures import open_page
out, rss = {}, {}


def peak_rss_mb():
    # VmHWM: this process's own peak. (getrusage's ru_maxrss would carry the
    # parent's peak across fork and exec, e.g. the demo build's.)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024


import streamlit as st
at = AppTest.from_file(os.environ["CX_APP"], default_timeout=600).run()
assert not at.exception, at.exception
# cold = the page with empty data caches (what a new filter costs); warm = again
# Record every query the pages send (the engine's and the gateway's), to
# replay the Overview's own SQL straight on DuckDB: the floor under the page.
import cxhub.db
recorded = []
def recording(fn):
    def wrapper(con, sql, params=None):
        recorded.append((sql, params))
        return fn(con, sql, params)
    return wrapper
originals = {"query_df": cxhub.db.query_df, "query_rows": cxhub.db.query_rows}
for module in [m for n, m in list(sys.modules.items()) if n.startswith("cxhub")]:
    for fname, original in originals.items():
        if getattr(module, fname, None) is original:
            setattr(module, fname, recording(original))


def shown(at, url):
    # (the app showing the page at url, seconds its run took). A touchpoint's page opens on the
    # first touchpoint: only the one the picker then asks for is timed (in the browser the picked
    # page stays open; AppTest's next run would go back to the first).
    if url and url.startswith("touchpoint-"):
        at.switch_page("app_pages/touchpoint.py").run()
        picker = next(s for s in at.selectbox if s.key.startswith("touchpoint_switch_"))
        t0 = time.perf_counter(); at = picker.set_value(url.removeprefix("touchpoint-")).run()
    else:
        t0 = time.perf_counter(); at = at.run() if url is None else open_page(at, url)
    return at, time.perf_counter() - t0


for name, url in (("Overview", None), ("Touchpoint (mobile_app)", "touchpoint-mobile_app"),
                  ("Channel comparison", "channels"), ("Joint priorities", "priorities"),
                  ("Steering meeting", "meeting"), ("Data", "data")):
    if url == "meeting":
        at.query_params["date"] = os.environ["CX_MEETING"]
    st.cache_data.clear()
    recorded.clear()
    at, cold = shown(at, url)
    assert not at.exception, at.exception
    if name == "Overview":
        overview_sql = list(recorded)
    at, warm = shown(at, url)
    out[name] = {"cold": cold, "warm": warm}
    rss[name] = peak_rss_mb()
# A custom period (not whole months): what a steering meeting picks when
# it asks about the weeks since a release.
st.cache_data.clear()
at = AppTest.from_file(os.environ["CX_APP"], default_timeout=600)
for key, value in (("period", "custom"), ("start", "2026-09-10"), ("end", "2026-10-20")):
    at.query_params[key] = value
t0 = time.perf_counter(); at.run(); cold = time.perf_counter() - t0
assert not at.exception, at.exception
t0 = time.perf_counter(); at.run()
out["Overview, custom period 10 Sep-20 Oct"] = {"cold": cold, "warm": time.perf_counter() - t0}
rss["Overview, custom period 10 Sep-20 Oct"] = peak_rss_mb()
rss = {k: round(v) for k, v in rss.items()}
con = cxhub.db.open_snapshot(os.environ["CXHUB_DB"])
replays = []
for _ in range(3):
    t0 = time.perf_counter()
    for sql, params in overview_sql:
        with con.cursor() as cur:
            cur.execute(sql, params or []).fetchall()
    replays.append(time.perf_counter() - t0)
out["Overview's SQL replayed (floor)"] = {"cold": replays[0], "warm": sorted(replays)[1]}
out["Overview queries"] = len(overview_sql)
out["ratio Overview cold / its SQL floor"] = out["Overview"]["cold"] / sorted(replays)[1]
out["peak_rss_mb"] = max(rss.values())
out["peak_rss_mb_after_each_page"] = rss
print(json.dumps(out))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server(command: list[str], path: Path, port: int) -> tuple[subprocess.Popen, float]:
    """A dashboard server on the database; returns it and the seconds until
    its port answered (for `cxhub serve`, its warm-up)."""
    env = dict(os.environ, CXHUB_DB=str(path))
    t0 = time.perf_counter()
    proc = subprocess.Popen([*command, str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
            return proc, time.perf_counter() - t0
        except OSError:
            if proc.poll() is not None or time.perf_counter() - t0 > 1800:
                proc.kill()
                raise RuntimeError(f"{' '.join(command)}: the server did not start")
            time.sleep(0.2)


def _overview_runs(port: int, runs: int) -> list[tuple[float, float]]:
    """A visitor on the Overview, as a browser talks to the server (its
    websocket): for the first run of the session and each rerun, seconds
    from asking for a run of the page to the server sending its last KPI
    tile, and to its "script finished"."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    ask = BackMsg()
    ask.rerun_script.query_string = ""
    ask.rerun_script.page_script_hash = ""
    seconds = []
    with connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"], max_size=None) as ws:
        for _ in range(runs):
            t0 = time.perf_counter()
            ws.send(ask.SerializeToString())
            tiles, tiles_at = 0, None
            while not (msg := ForwardMsg.FromString(ws.recv())).HasField("script_finished"):
                if msg.HasField("delta") and msg.delta.new_element.WhichOneof("type") == "metric":
                    tiles += 1
                    if tiles == len(KPIS):
                        tiles_at = time.perf_counter() - t0
            seconds.append((tiles_at, time.perf_counter() - t0))
            time.sleep(0.3)  # a person between two clicks
    return seconds


def _drawn_in_chromium(port: int) -> dict:
    """Seconds from asking for the address to every tile drawn and to the
    last panel (what just broke) filled, in headless Chromium on this
    machine; {} without Chromium or Playwright."""
    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {}
    if not chromium:
        return {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update"])
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        t0 = time.perf_counter()
        page.goto(f"http://127.0.0.1:{port}", wait_until="commit")
        page.locator('[data-testid="stMetricValue"]').nth(len(KPIS) - 1).wait_for(timeout=120_000)
        tiles = time.perf_counter() - t0
        page.get_by_text(re.compile(r"alert\(s\),|No alert in this period")).first.wait_for(timeout=120_000)
        whole = time.perf_counter() - t0
        browser.close()
    return {"cold": tiles, "warm": whole}


def served(path: Path, repeats: int) -> dict:
    """The Overview on real servers, as visitors meet it (cold: the first
    run of a session; warm: the median rerun, a click): `streamlit run
    app.py` just started (no warm-up: the first visitor pays for the imports
    and every query), and when its KPI tiles were sent (the page's top: what
    a visitor reads while its last panels are worked out), a new session on
    that server once warm; `cxhub serve` (what ./run.sh starts: it runs
    every page before it opens its port), the warm-up and its first visitor;
    with Chromium, how long this machine's headless browser takes to draw it."""
    out = {}
    streamlit_run = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
                     "--server.address", "127.0.0.1", "--server.port"]
    port = _free_port()
    proc, _ = _server(streamlit_run, path, port)
    try:
        first = _overview_runs(port, 1 + repeats)
        sessions = [_overview_runs(port, 1)[0][1] for _ in range(repeats)]
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    out["Overview, fresh server, no warm-up"] = {"cold": first[0][1], "warm": statistics.median(t for _, t in first[1:])}
    if all(tiles is not None for tiles, _ in first):  # (a database with no data shows no tiles)
        out["... its KPI tiles sent"] = {"cold": first[0][0], "warm": statistics.median(t for t, _ in first[1:])}
    out["Overview, new session on a warm server"] = {"cold": sessions[0], "warm": statistics.median(sessions)}
    port = _free_port()
    proc, warm_up = _server([sys.executable, "-m", "cxhub.cli", "serve", "--db", str(path), "--port"], path, port)
    try:
        after = _overview_runs(port, 1 + repeats)
        drawn = _drawn_in_chromium(port)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    out["cxhub serve: start and warm-up"] = {"cold": warm_up, "warm": 0.0}
    out["Overview, first visit after warm-up"] = {"cold": after[0][1],
                                                  "warm": statistics.median(t for _, t in after[1:])}
    if drawn:
        out["Overview drawn in Chromium (tiles / all)"] = drawn
    return {k: {kk: round(vv, 3) for kk, vv in v.items()} for k, v in out.items()}


def cli_kpis(path: Path, repeats: int) -> dict:
    """`cxhub kpis` as a person runs it: a new process each time (interpreter,
    imports, open, the scorecard, JSON out), with bytecode cached as an
    installed package has it; beside it, the floor of any such command: a
    process that only imports pandas, measured in the same run."""
    period = Period(END_MONTH, month_end(END_MONTH))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    commands = {
        "cxhub kpis (new process)": [sys.executable, "-m", "cxhub.cli", "kpis", "--db", str(path), "--start",
                                     period.start.isoformat(), "--end", period.end.isoformat(), "--format", "json"],
        "python -c 'import pandas' (floor)": [sys.executable, "-c", "import pandas"],
    }
    out = {}
    for name, command in commands.items():
        runs = []
        for _ in range(max(repeats, 2) + 1):
            t0 = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, cwd=ROOT, env=env)
            runs.append(time.perf_counter() - t0)
        out[name] = {"cold": round(runs[0], 3), "warm": round(statistics.median(runs[1:]), 3)}
    out["ratio cxhub kpis / floor"] = round(out["cxhub kpis (new process)"]["warm"]
                                            / out["python -c 'import pandas' (floor)"]["warm"], 2)
    return out


def edits(path: Path, repeats: int) -> dict:
    """A score and a decision saved as the pages save them (open the
    workspace, check, write, log, close), on a copy of the benchmark's
    workspace. (That an edit never waits for an import is a test:
    tests/test_workspace.py.)"""
    from cxhub import joint

    with tempfile.TemporaryDirectory(dir=RESULTS) as tmp:
        ws_path = Path(tmp) / "copy.workspace.sqlite"
        shutil.copyfile(workspace.path_for(path), ws_path)
        con = db.open_snapshot(path)
        known = [r[0] for r in db.query_rows(con, "SELECT touchpoint_id FROM touchpoints")]
        with workspace.opened(ws_path) as ws:
            target = int(joint.initiatives(ws)["initiative_id"].iloc[0])
        cmo = joint.Person("Benchmark CMO", "CMO")
        count = [0]

        def score():
            count[0] += 1
            with workspace.opened(ws_path) as ws:
                joint.update_initiatives(ws, {target: {"cmo_impact": 1 + count[0] % 5}}, cmo,
                                         known_touchpoints=known)

        def decide():
            with workspace.opened(ws_path) as ws:
                joint.add_decision(ws, MEETING, "Benchmark decision", cmo)

        n = max(repeats, 5) * 4
        out = {}
        for name, fn in (("score an initiative", score), ("record a decision", decide)):
            cold, warm = timed(fn, n)
            out[name] = {"cold": round(cold, 4), "warm": round(warm, 4)}
        con.close()
    return out


def pages(path: Path) -> dict:
    """Each page's script run under AppTest, in a fresh process (cold caches)."""
    env = dict(os.environ, CXHUB_DB=str(path), CX_TESTS=str(ROOT / "tests"), CX_APP=str(ROOT / "app.py"),
               CX_MEETING=MEETING.isoformat())
    proc = subprocess.run([sys.executable, "-c", PAGE_SCRIPT], env=env, capture_output=True, text=True,
                          timeout=1800)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-3000:])
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return {k: ({kk: round(vv, 3) for kk, vv in v.items()} if isinstance(v, dict) else round(v, 2))
            for k, v in result.items()}


def shuffle_written(session, after_stage: int) -> tuple[int, int, int]:
    """(newest stage id, shuffle bytes written, shuffle records written) of
    Spark's stages after `after_stage`, from its status store (kept with
    the UI off)."""
    store = session.sparkContext._jsc.sc().statusStore()
    default = lambda n: getattr(store, f"stageList$default${n}")()
    stages = store.stageList(session._jvm.java.util.ArrayList(), default(2), default(3), default(4), default(5))
    newest, size, records = after_stage, 0, 0
    for i in range(stages.size()):
        stage = stages.apply(i)
        if stage.stageId() > after_stage:
            newest = max(newest, stage.stageId())
            size += stage.shuffleWriteBytes()
            records += stage.shuffleWriteRecords()
    return newest, size, records


def engines(path: Path, repeats: int) -> dict:
    """The same scorecard on DuckDB and on Spark local[2] (a lake exported
    from the same file), side by side; what each rollup costs Spark and how
    much it shuffles, and by what its plan partitions."""
    import re

    from cxhub import rollups as rollup_defs
    from cxhub import spark

    # Spark's driver gets memory as DuckDB does (it takes most of the machine's by default).
    os.environ.setdefault("PYSPARK_SUBMIT_ARGS", "--driver-memory 12g pyspark-shell")
    lake = RESULTS / f"lake-{path.stem}"
    con = db.connect(path, read_only=True)  # the app's snapshot may not write files: this one exports
    t0 = time.perf_counter()
    if not (lake / "orders").exists():
        spark.export_lake(con, lake)
    exported = time.perf_counter() - t0
    session = spark.session()
    built, mark = {}, [shuffle_written(session, -1)[0]]

    def progress(name: str, seconds: float) -> None:
        mark[0], size, records = shuffle_written(session, mark[0])
        built[name] = {"seconds": round(seconds, 1), "shuffle MB written": round(size / 1e6, 1),
                       "shuffle records": records}

    t0 = time.perf_counter()
    sparked = spark.connect(lake=lake, progress=progress)
    connected = time.perf_counter() - t0
    period = preset_period("last_full_month", month_end(END_MONTH) + timedelta(days=1))
    out = {"lake export (s)": round(exported, 1), "spark start + rollups built and cached (s)": round(connected, 1),
           "spark driver": os.environ["PYSPARK_SUBMIT_ARGS"], "rollups on spark": built}
    for name, filters in (("scorecard", Filters()), ("scorecard mobile_app", Filters(touchpoints=("mobile_app",)))):
        duck_cold, duck_warm = timed(lambda: engine.scorecard(con, period, filters), repeats)
        spark_cold, spark_warm = timed(lambda: engine.scorecard(sparked, period, filters), repeats)
        out[name] = {"duckdb": round(duck_warm, 3), "spark": round(spark_warm, 3),
                     "spark / duckdb": round(spark_warm / duck_warm, 1), "spark cold": round(spark_cold, 3)}
    # What partitions by customer: the shuffles in the plan that builds customer_days.
    rollup = next(r for r in rollup_defs.ROLLUPS if r.name == "customer_days")
    plan = sparked.spark.sql("EXPLAIN FORMATTED " + spark.to_spark_sql(rollup.select())).collect()[0][0]
    out["customer_days plan shuffles"] = sorted(set(re.findall(r"hashpartitioning\(([^)]*)\)", plan)))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--customers", type=int, default=1_000_000)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--import-rows", type=int, default=10_000_000, help="rows per import-rate file")
    p.add_argument("--smoke", action="store_true", help="a quick run that only proves the harness works")
    p.add_argument("--imports-only", action="store_true", help="only the incremental import lines")
    p.add_argument("--engines", action="store_true", help="only DuckDB against Spark local[2] on the same data")
    args = p.parse_args(argv)
    repeats = 1 if args.smoke else args.repeats

    report = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "platform": platform.platform()}, "customers": args.customers}
    path, build_s = build(args.customers)
    con = db.connect(path, read_only=True)
    counts = {t: db.query_rows(con, f"SELECT count(*) FROM {t}")[0][0] for t in ("interactions", "orders", "surveys")}
    con.close()
    report["demo"] = {"build_seconds": round(build_s, 1) if build_s else "reused",
                      "size_mb": round(path.stat().st_size / 1e6, 1), **counts}
    if args.engines:
        report["engines"] = engines(path, repeats)
        print(json.dumps(report, indent=2))
        return 0
    report["incremental_import"] = incremental_imports(path, args.smoke)
    if args.imports_only:
        print(json.dumps(report, indent=2))
        return 0
    report["import"] = import_rates(path, args.import_rows)
    report["engine"] = engine_calls(path, repeats)
    report["overview_three_ways"] = floor_and_baseline(path, repeats)
    report["pages"] = pages(path)
    report["served"] = served(path, repeats)
    report["cli"] = cli_kpis(path, repeats)
    report["edits"] = edits(path, repeats)

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"benchmark-{args.customers}.json"
    out.write_text(json.dumps(report, indent=2))
    print_table(report)
    print(f"\nJSON: {out}")
    return 0


def print_table(r: dict) -> None:
    print(f"CX Hub benchmark: {r['customers']:,} customers on {r['machine']['cpus']} CPUs, "
          f"Python {r['machine']['python']}")
    d = r["demo"]
    print(f"demo build {d['build_seconds']} s, {d['size_mb']} MB; interactions {d['interactions']:,}, "
          f"orders {d['orders']:,}, surveys {d['surveys']:,}")
    for fmt, v in r["import"].items():
        print(f"import {fmt:<8} {v['rows']:>12,} rows in {v['seconds']:>6} s = {v['rows_per_s']:>10,} rows/s")
    for name, v in r["incremental_import"].items():
        print(f"{name:<40}{v['seconds']:>9} s  ({v['rows']:,} rows; file copy, load and rollup refresh)")
    print(f"{'measure':<40}{'cold s':>9}{'warm s':>9}")
    for section in ("engine", "overview_three_ways", "pages", "served"):
        for name, v in r[section].items():
            if name == "peak_rss_mb_after_each_page":
                continue
            if isinstance(v, dict):
                print(f"{name:<40}{v['cold']:>9.3f}{v['warm']:>9.3f}")
            else:
                print(f"{name:<40}{v:>9}")
    for name, v in r["cli"].items():
        print(f"{name:<40}{v['cold']:>9.3f}{v['warm']:>9.3f}" if isinstance(v, dict) else f"{name:<40}{v:>9}")
    for name, v in r["edits"].items():
        print(f"{'edit: ' + name:<40}{v['cold']:>9.4f}{v['warm']:>9.4f}")
    print("peak RSS of the app process (MB) after each page:")
    for name, mb in r["pages"]["peak_rss_mb_after_each_page"].items():
        print(f"  {name:<38}{mb:>9}")


if __name__ == "__main__":
    sys.exit(main())
