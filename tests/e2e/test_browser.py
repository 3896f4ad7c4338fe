"""The real app in a real browser: `streamlit run app.py` on a free port
against a small demo database, each page opened in headless Chromium.
Screenshots go to tests/e2e/screenshots/ (git-ignored) for people to look at."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pytest

from cxhub import db, demo, joint, pack, workspace
from cxhub.kpis import KPIS
from cxhub.kpis.period import month_end, preset_period
from app_pages import joint_priorities as page_module
from fixtures import require, spark_missing

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-quic", "--no-first-run", "--disable-sync"]

pytestmark = pytest.mark.e2e


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    if not Path(CHROMIUM).exists():
        return "Chromium is not installed (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def browser():
    require(_browser_missing(), "the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    return tmp_path_factory.mktemp("e2e") / "demo.duckdb"


@pytest.fixture(scope="module")
def server(database, browser):
    con = db.connect(database)
    demo.build_demo(con, customers=3000, end_month=demo.default_end_month(),
                    workspace_path=workspace.path_for(database))
    con.close()
    yield from _serve(database, browser)


def _serve(path, browser, port: int | None = None, options: tuple = (), command: list | None = None,
           wait: float = 60):
    """`streamlit run app.py` (or `command`, given the port) on a free port
    against the database at path."""
    port = port or _free_port()
    env = dict(os.environ, **{db.ENV_VAR: str(path)})
    proc = subprocess.Popen(
        [*command, "--port", str(port)] if command else
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.headless", "true", "--server.address", "127.0.0.1", *options],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + wait
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("streamlit did not start: " + proc.stdout.read().decode(errors="replace")[-2000:])
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def open_and_wait(browser, url: str, heading: str, shot: str):
    # Streamlit scrolls inside its own container: a tall window shows the whole page.
    page = browser.new_page(viewport={"width": 1600, "height": 4200})
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_role("heading", name=heading, exact=True).first.wait_for(timeout=60_000)
    # The app has finished its script run when the running indicator is gone.
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000
    )
    # Every Plotly chart has drawn its SVG.
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
                 .every(c => c.querySelector('.main-svg'))""", timeout=60_000
    )
    page.wait_for_timeout(500)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / shot), full_page=True)
    return page


PAGES = [
    ("", "Shared scorecard", ["Retention", "Satisfaction & consistency", "Systems & data", "What changed",
                              "Touchpoints at a glance"], "overview.png"),
    ("channels", "Channel comparison", ["Channel switching: the cost of inconsistency"], "channels.png"),
    ("touchpoint-mobile_app", "Mobile app", ["Customer satisfaction and IT health, one time axis", "What detractors say"],
     "touchpoint-mobile_app.png"),
    ("touchpoint-contact_center", "Contact center", ["Intents resolved least"], "touchpoint-contact_center.png"),
    ("priorities", "Joint priorities", ["Ranked initiatives", "Impact × effort", "Is it working?", "Change log"],
     "priorities.png"),
    ("meeting", "Steering meeting", ["Agenda", "During the meeting", "After the meeting"], "meeting.png"),
    ("data", "Data & freshness", ["The data contract"], "data.png"),
    ("glossary", "Glossary", ["Retention"], "glossary.png"),
]


@pytest.mark.parametrize("path, heading, sections, shot", PAGES, ids=[p[0] or "overview" for p in PAGES])
def test_page_in_browser(browser, server, path, heading, sections, shot):
    page = open_and_wait(browser, f"{server}/{path}", heading, shot)
    try:
        # A page may run twice on a first visit (its view written into the URL): wait for each
        # section rather than count what the first run has drawn so far.
        for section in sections:
            page.get_by_role("heading", name=section).first.wait_for(timeout=60_000)
        _settled(page)
        assert page.locator('[data-testid="stException"]').count() == 0, "a Streamlit exception is shown"
        if path == "":
            assert page.locator('[data-testid="stMetric"]').count() == len(KPIS)
            assert page.get_by_text("Demo data").count() >= 1
    finally:
        page.close()


@pytest.fixture(scope="module")
def spark_server(server, database, browser, tmp_path_factory):
    """`cxhub serve --engine spark --lake DIR` on the same company, written
    out as a lake: Spark local[2] starts and builds the rollups before the
    port opens (the warm-up), so its wait is minutes, not seconds."""
    require(spark_missing(), "the dashboard on Spark")
    from cxhub import spark

    lake = tmp_path_factory.mktemp("lake")
    with db.reading(database) as con:
        spark.export_lake(con, lake)
    yield from _serve(database, browser, wait=600, command=[
        sys.executable, "-m", "cxhub.cli", "serve", "--db", str(database), "--engine", "spark", "--lake", str(lake)])


def _tiles(page, expected: int = len(KPIS)) -> dict[str, str]:
    """The Overview's tiles, label → value, once all of them are drawn."""
    page.locator('[data-testid="stMetricValue"]').nth(expected - 1).wait_for(timeout=120_000)
    _settled(page)
    return dict(zip(page.locator('[data-testid="stMetricLabel"]').all_inner_texts(),
                    page.locator('[data-testid="stMetricValue"]').all_inner_texts()))


@pytest.mark.parametrize("path, heading, sections, shot", PAGES, ids=[p[0] or "overview" for p in PAGES])
def test_every_page_on_spark_in_the_browser(browser, server, spark_server, path, heading, sections, shot):
    """The dashboard served on Spark: each page opens, draws its sections,
    says where it computes, and shows the tiles the DuckDB server shows."""
    page = open_and_wait(browser, f"{spark_server}/{path}", heading, "spark-" + shot)
    try:
        for section in sections:
            page.get_by_role("heading", name=section).first.wait_for(timeout=120_000)
        _settled(page)
        assert page.locator('[data-testid="stException"]').count() == 0, "a Streamlit exception is shown"
        assert page.locator('[data-testid="stSidebar"]').get_by_text("Spark (local[2]) · lake").count() == 1
        page.screenshot(path=str(SHOTS / ("spark-" + shot)), full_page=True)  # drawn: for people to look at
        if path == "":
            on_duckdb = open_and_wait(browser, server, heading, "overview.png")
            try:
                assert len(_tiles(page)) == len(KPIS) and _tiles(page) == _tiles(on_duckdb)
            finally:
                on_duckdb.close()
    finally:
        page.close()


def test_shared_link_reproduces_the_view(browser, server):
    page = open_and_wait(browser, f"{server}/touchpoint-mobile_app?period=last_quarter&segment=smb", "Mobile app",
                         "shared-link.png")
    try:
        assert page.locator('[data-testid="stException"]').count() == 0
        assert "segment=smb" in page.url and "period=last_quarter" in page.url
        end = month_end(demo.default_end_month())
        quarter = preset_period("last_quarter", end + timedelta(days=1))
        assert page.get_by_text(f"{quarter.label()} vs {quarter.previous().label()}").count() >= 1
        assert page.locator('[data-testid="stSidebar"]').get_by_text("smb", exact=True).count() >= 1
    finally:
        page.close()


def _read(database, fn, *args):
    """Read the server's joint work (its workspace store, beside the database)."""
    with workspace.opened(workspace.path_for(database)) as ws:
        return fn(ws, *args)


def _sign_in(page, name: str, role: str) -> None:
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_label("Your name", exact=True).fill(name)
    sidebar.get_by_text(role, exact=True).click()
    sidebar.get_by_role("button", name="Start editing").click()
    sidebar.get_by_text(f"Editing as {name}").wait_for(timeout=30_000)


def _settled(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)


def test_record_a_decision_in_the_browser(browser, server, database):
    page = open_and_wait(browser, f"{server}/meeting?date=2026-12-03", "Steering meeting", "meeting-before.png")
    try:
        _sign_in(page, "Browser CIO", "CIO")
        _settled(page)
        text = "Move the platform cut-over to January."
        page.get_by_role("textbox", name="Decision", exact=True).fill(text)
        page.get_by_role("button", name="Record decision").click()
        page.get_by_text(f"{text} — Browser CIO (CIO)").wait_for(timeout=60_000)
        _settled(page)
        page.screenshot(path=str(SHOTS / "meeting-recorded.png"), full_page=True)
    finally:
        page.close()
    decided = _read(database, joint.decisions, date(2026, 12, 3))
    assert list(decided["text"]) == [text] and list(decided["author"]) == ["Browser CIO"]


def test_edit_a_score_in_the_ranked_table(browser, server, database):
    page = open_and_wait(browser, f"{server}/priorities", "Joint priorities", "priorities-before.png")
    try:
        _sign_in(page, "Browser CMO", "CMO")
        _settled(page)
        grid = page.locator('[data-testid="stDataFrame"]').first
        grid.scroll_into_view_if_needed()
        # The grid draws on a canvas, so cells have no elements to click. Select the
        # first row's first cell (its left edge is the same at any column width), walk
        # right to "CMO impact" with the keyboard, and type the new score.
        top = _read(database, joint.initiatives).iloc[0]
        new_score = 1 if top["cmo_impact"] != 1 else 2
        column = page_module.RANKED_COLUMNS.index("cmo_impact")
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 12, box["y"] + 53)
        page.wait_for_timeout(200)
        for _ in range(column):
            page.keyboard.press("ArrowRight")
        page.keyboard.type(str(new_score))
        page.wait_for_timeout(200)
        page.keyboard.press("Enter")
        _settled(page)
        page.get_by_role("button", name="Save changes").click()
        # The confirmation shows once the page has reloaded the saved data.
        page.get_by_text("Saved 1 change(s) as Browser CMO (CMO).").wait_for(timeout=60_000)
        _settled(page)
        page.screenshot(path=str(SHOTS / "priorities-saved.png"), full_page=True)
    finally:
        page.close()
    after = _read(database, joint.initiatives).set_index("initiative_id").loc[top["initiative_id"]]
    last = _read(database, joint.history, "initiative", int(top["initiative_id"])).iloc[-1]
    assert after["cmo_impact"] == new_score
    assert (last["field"], last["author"], last["role"]) == ("cmo_impact", "Browser CMO", "CMO")


def test_the_pack_opens_with_no_network(browser, server, database, tmp_path):  # server: builds the database
    with db.reading(database) as con, workspace.opened(workspace.path_for(database)) as ws:
        html_path, _ = pack.write_pack(con, ws, date(2026, 11, 12), tmp_path)
    context = browser.new_context(offline=True)
    page = context.new_page()
    fetched = []
    page.on("request", lambda r: fetched.append(r.url) if not r.url.startswith(("file:", "data:", "blob:")) else None)
    try:
        page.goto(html_path.as_uri())
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= 2",
                               timeout=30_000)
        assert page.get_by_role("heading", name="Trends of the red KPIs").count() == 1
        page.screenshot(path=str(SHOTS / "pack-html.png"), full_page=False)
        assert fetched == []
    finally:
        context.close()


def test_every_printed_page_of_the_pack(server, database, tmp_path):  # server: builds the database
    """The PDF as paper: each page rendered to a picture (for people to look
    at), every page stating its meeting and period in the footer, and no
    table or text running past the page's printable area."""
    pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 (test extra) renders the PDF's pages")
    with db.reading(database) as con, workspace.opened(workspace.path_for(database)) as ws:
        _, pdf_path = pack.write_pack(con, ws, date(2026, 11, 12), tmp_path)
    document = pdfium.PdfDocument(str(pdf_path))
    SHOTS.mkdir(exist_ok=True)
    try:
        assert len(document) >= 3
        for number, page in enumerate(document, 1):
            page.render(scale=1.4).to_pil().save(SHOTS / f"pack-pdf-page-{number}.png")
            text = page.get_textpage()
            whole = text.get_text_range()
            assert f"Steering meeting, 12 Nov 2026 · Oct 2026 vs Sep 2026 · all segments · all regions · page {number}/" \
                in " ".join(whole.split()), f"page {number} has no footer"
            width, height = page.get_size()
            margin = 15 * 72 / 25.4 - 1  # the pack's 15 mm side margins, in points, less a point of slack
            for i in range(text.count_chars()):
                left, bottom, right, top = text.get_charbox(i)
                if right > left:  # a drawn character, not a space or line break
                    assert margin <= left and right <= width - margin and 0 <= bottom and top <= height, \
                        f"page {number}: text past the margins at {left:.0f},{bottom:.0f}"
    finally:
        document.close()


BEACON = "Web ![x](http://127.0.0.1:9/beacon.png) **bold** :red[alert] <img src=http://127.0.0.1:9/i.png>"


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory, browser):
    from fixtures import build_judged

    path = tmp_path_factory.mktemp("hostile") / "hostile.duckdb"
    con = build_judged(path)
    with con.cursor() as cur:
        cur.execute("UPDATE touchpoints SET name = ? WHERE touchpoint_id = 'web'", [BEACON])
    con.close()
    yield from _serve(path, browser)


def test_data_text_is_shown_as_text_in_the_browser(browser, hostile_server):
    """A touchpoint named like an image beacon: its page and the Overview show
    the name as characters; no image is fetched, nothing is coloured or bold."""
    fetched = []
    for path, heading in (("/touchpoint-web?period=custom&start=2025-03-01&end=2025-03-31", None),
                          ("/?period=custom&start=2025-03-01&end=2025-03-31", "Shared scorecard")):
        page = browser.new_page(viewport={"width": 1600, "height": 3000})
        page.on("request", lambda r: fetched.append(r.url) if "127.0.0.1:9" in r.url else None)
        page.goto(hostile_server + path, wait_until="domcontentloaded")
        page.locator("h1").first.wait_for(timeout=60_000)
        page.wait_for_function(
            """() => !document.querySelector('[data-testid="stStatusWidget"]')""", timeout=60_000)
        page.wait_for_timeout(1000)
        html = page.content()
        assert "Page not found" not in html  # a deep link on a fresh server opens its page
        at = html.find('src="http://127.0.0.1:9')
        assert at < 0, html[max(0, at - 600):at + 200]
        assert page.locator("strong:has-text('bold')").count() == 0
        if heading is None:
            assert "![x](http://127.0.0.1:9/beacon.png) **bold** :red[alert]" in page.locator("h1").first.inner_text()
        page.close()
    assert fetched == [], fetched


# ------------------------------------------------------------------ shared mode: real sign-in

ROLES = ("viewer", "analyst", "cmo", "cio", "admin")


@pytest.fixture(scope="module")
def provider():
    """An OpenID Connect provider in a thread; each person's claims are set
    through its PUT /users/{sub}."""
    from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread() as server:
        url = f"http://localhost:{server.server_port}"
        for role in (*ROLES, "stranger"):
            body = json.dumps({"email": f"{role}@example.com", "email_verified": True,
                               "name": f"Test {role}"}).encode()
            request = urllib.request.Request(f"{url}/users/{role}@example.com", data=body, method="PUT",
                                             headers={"Content-Type": "application/json"})
            urllib.request.urlopen(request, timeout=10)
        yield url


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory, browser, provider):
    """The app in shared mode: [auth] pointing at the provider, roles in
    cxhub.toml beside the database, strangers refused."""
    folder = tmp_path_factory.mktemp("shared")
    database = folder / "cxhub.duckdb"
    con = db.connect(database)
    demo.build_demo(con, customers=3000, end_month=demo.default_end_month(),
                    workspace_path=workspace.path_for(database))
    con.close()
    (folder / "cxhub.toml").write_text('[access]\ndefault_role = "none"\n\n[access.emails]\n'
                                       + "".join(f'"{r}@example.com" = "{r}"\n' for r in ROLES))
    port = _free_port()
    secrets = folder / "secrets.toml"
    secrets.write_text(
        f'[auth]\nredirect_uri = "http://127.0.0.1:{port}/oauth2callback"\ncookie_secret = "e2e-cookie-secret"\n'
        f'client_id = "cxhub"\nclient_secret = "e2e-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n')
    for url in _serve(database, browser, port, ("--secrets.files", str(secrets))):
        yield url, database


def _sign_in_with_provider(browser, url: str, email: str):
    context = browser.new_context(viewport={"width": 1600, "height": 2400})
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_role("button", name="Sign in").click()
    page.locator("input[name=sub]").fill(email)  # the provider's own sign-in form
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{url}/**", timeout=60_000)
    return context, page


def test_signed_out_sees_only_the_sign_in(browser, shared_server):
    url, _ = shared_server
    page = browser.new_page()
    try:
        for address in ("", "/priorities", "/data", "/touchpoint-web"):
            page.goto(url + address, wait_until="domcontentloaded")
            page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
            _settled(page)
            assert page.locator('[data-testid="stMetric"]').count() == 0
            page.screenshot(path=str(SHOTS / "signed-out.png"))
            assert page.locator('[data-testid="stSidebarNav"]').count() == 0
            assert page.get_by_role("heading", name="Shared scorecard").count() == 0
    finally:
        page.close()


def test_a_stranger_is_refused_after_signing_in(browser, shared_server):
    url, _ = shared_server
    context, page = _sign_in_with_provider(browser, url, "stranger@example.com")
    try:
        page.get_by_text("stranger@example.com has no access to CX Hub").wait_for(timeout=60_000)
        assert page.locator('[data-testid="stMetric"]').count() == 0
    finally:
        context.close()


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_its_row_of_the_access_table(browser, shared_server, role):
    url, database = shared_server
    email = f"{role}@example.com"
    context, page = _sign_in_with_provider(browser, url, email)
    try:
        page.get_by_role("heading", name="Shared scorecard").wait_for(timeout=60_000)
        label = {"cmo": "CMO", "cio": "CIO"}.get(role, role)
        page.get_by_text(f"Signed in as {email} ({label})").wait_for(timeout=30_000)
        nav = page.locator('[data-testid="stSidebarNav"]')
        assert (nav.get_by_text("Audit", exact=True).count() == 1) is (role == "admin")
        # Customer verbatims: withheld from a viewer, shown to everyone else.
        page.goto(f"{url}/touchpoint-mobile_app", wait_until="domcontentloaded")
        page.get_by_role("heading", name="What detractors say").wait_for(timeout=60_000)
        _settled(page)
        assert (page.get_by_text("Comments are withheld for your role").count() == 1) is (role == "viewer")
        # Joint work: read-only for a viewer; the others record a decision, audited under their email.
        page.goto(f"{url}/meeting?date=2026-12-04", wait_until="domcontentloaded")
        page.get_by_role("heading", name="Steering meeting").wait_for(timeout=60_000)
        _settled(page)
        if role == "viewer":
            page.get_by_text("your role sees the joint work but does not edit it").wait_for(timeout=30_000)
            assert page.get_by_role("button", name="Record decision").count() == 0
        else:
            text = f"Decision recorded by the {role}."
            page.get_by_role("textbox", name="Decision", exact=True).fill(text)
            page.get_by_role("button", name="Record decision").click()
            # Listed under the meeting's outcomes once saved (the form itself also holds the text until then).
            page.get_by_text(f"{text} — Test {role} ({label})").first.wait_for(timeout=60_000)
            with workspace.opened(workspace.path_for(database)) as ws:
                audit = joint.audit(ws)
            mine = audit[(audit["entity"] == "decision") & (audit["new_value"] == text)]
            assert list(mine["actor"]) == [email] and list(mine["verified"]) == [True]
            assert list(mine["role"]) == [label]
        # Loading data: an admin's only.
        page.goto(f"{url}/data", wait_until="domcontentloaded")
        page.get_by_role("heading", name="Data & freshness").wait_for(timeout=60_000)
        _settled(page)
        assert (page.get_by_text("Load a file", exact=True).count() == 1) is (role == "admin")
        page.screenshot(path=str(SHOTS / f"signed-in-{role}.png"), full_page=True)
    finally:
        context.close()


# ------------------------------------------------------------------ the room's screens

SIZES = {"projector": (1280, 720), "laptop": (1920, 1080), "phone": (390, 844)}
SCREENS = [("", "Shared scorecard"), ("channels", "Channel comparison"), ("kpi?kpi=csat", "Customer satisfaction (CSAT)"),
           ("touchpoint-mobile_app", "Mobile app"), ("voice", "Voice of the customer"),
           ("priorities", "Joint priorities"), ("meeting?date=2026-11-12", "Steering meeting"),
           ("data", "Data & freshness"), ("glossary", "Glossary")]


def _screen(browser, url: str, heading: str, size: tuple[int, int], shot: str, scheme: str = "light"):
    page = browser.new_page(viewport={"width": size[0], "height": size[1]}, color_scheme=scheme)
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_role("heading", name=heading, exact=True).first.wait_for(timeout=60_000)
    _settled(page)
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
                                    .every(c => c.querySelector('.main-svg'))""", timeout=60_000)
    # The first run writes the view into the URL and runs once more: wait for
    # that run's placeholders to be filled, not for the first one's.
    page.wait_for_timeout(800)
    _settled(page)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=60_000)
    page.wait_for_timeout(400)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / shot))
    return page


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("path, heading", SCREENS)
def test_every_page_at_every_size(browser, server, path, heading, size):
    """A screenshot of what each size shows first, and no title cut short."""
    name = (path.split("?")[0] or "overview")
    page = _screen(browser, f"{server}/{path}", heading, SIZES[size], f"{name}-{size}.png")
    try:
        cut = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stMetricLabel"] p')]
                                     .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)""")
        assert not cut, f"tile titles cut short at {size}: {cut}"
    finally:
        page.close()


def _luminance(css_colour: str) -> float:
    """0 (black) to 1 (white) from 'rgb(r, g, b)' or 'rgba(r, g, b, a)'."""
    r, g, b = (int(float(x)) for x in css_colour[css_colour.index("(") + 1:-1].split(",")[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


@pytest.mark.parametrize("path, heading", [("", "Shared scorecard"), ("touchpoint-mobile_app", "Mobile app")])
def test_charts_follow_a_dark_system_theme(browser, server, path, heading):
    """A viewer whose system is dark gets the dark theme, and every chart
    follows it: no white plot on a dark page, no dark text on it."""
    name = (path or "overview") + "-dark.png"
    page = _screen(browser, f"{server}/{path}", heading, SIZES["laptop"], name, scheme="dark")
    try:
        app_bg = page.evaluate("() => getComputedStyle(document.querySelector('[data-testid=\"stApp\"]')).backgroundColor")
        assert _luminance(app_bg) < 0.2, f"the page is not dark: {app_bg}"
        charts = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].map(c => ({
            bg: getComputedStyle(c.querySelector('.main-svg')).backgroundColor,
            plot: c.querySelector('.bg') ? c.querySelector('.bg').style.fill : '',
            text: [...c.querySelectorAll('.xtick text, .ytick text')].map(t => t.style.fill)}))""")
        assert charts, "no chart on the page"
        for chart in charts:
            for colour in (chart["bg"], chart["plot"]):
                if colour and not colour.endswith(", 0)") and colour != "transparent":
                    assert _luminance(colour) < 0.3, f"a light chart background on the dark page: {chart}"
            assert chart["text"] and all(_luminance(t) > 0.5 for t in chart["text"]), f"dark text: {chart}"
    finally:
        page.close()


def _bottom(locator) -> float:
    box = locator.bounding_box()
    return box["y"] + box["height"]


def test_the_projector_shows_what_matters_without_scrolling(browser, server):
    """At 1280×720: every tile's value and the filter line on the Overview,
    and the four executive scores on the board, in the first screen."""
    width, height = SIZES["projector"]
    page = _screen(browser, server, "Shared scorecard", (width, height), "overview-fold.png")
    try:
        values = page.locator('[data-testid="stMetricValue"]')
        values.nth(len(KPIS) - 1).wait_for(timeout=30_000)
        assert values.count() == len(KPIS)
        lowest = max(_bottom(values.nth(i)) for i in range(values.count()))
        print(f"lowest tile value ends at {lowest:.0f} px of {height}")
        assert lowest <= height, "a tile's value is below the fold"
        # The server's demo ends with last month (whatever today is): the Overview opens on it.
        last_month = preset_period("last_full_month", month_end(demo.default_end_month()) + timedelta(days=1))
        line = page.get_by_text(f"{last_month.label()} vs {last_month.previous().label()} · all segments · "
                                "all regions", exact=False).first
        assert _bottom(line) <= height
    finally:
        page.close()
    page = _screen(browser, f"{server}/priorities", "Joint priorities", (width, height), "priorities-fold.png")
    try:
        # The grid draws on a canvas and lists the columns it has drawn (those in
        # view, and one or two beyond) in an accessible table: the scores must be
        # drawn, with more columns after them, and the grid's top in the first screen.
        grid = page.locator('[data-testid="stDataFrame"]').first
        grid.locator("th", has_text="CIO effort").first.wait_for(state="attached", timeout=30_000)
        assert grid.bounding_box()["y"] < height - 200 and grid.bounding_box()["x"] + 200 < width
        drawn = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stDataFrame"] th')]
                                       .map(e => e.textContent)""")
        for name in ("CMO impact", "CMO effort", "CIO impact", "CIO effort"):
            assert name in drawn and drawn.index(name) <= len(drawn) - 3, (name, drawn)
    finally:
        page.close()


def test_a_tile_opens_its_kpi_in_depth_with_the_same_view(browser, server):
    """Drill-down from the Overview: a tile's title → that KPI's trend and
    breakdowns, same period and filters; a link back."""
    page = _screen(browser, f"{server}/?period=last_quarter&segment=smb", "Shared scorecard",
                   SIZES["projector"], "overview-smb.png")
    try:
        page.get_by_role("link", name="CSAT", exact=True).click()
        page.get_by_role("heading", name="Customer satisfaction (CSAT)", exact=True).wait_for(timeout=60_000)
        _settled(page)
        assert "/kpi?" in page.url and "kpi=csat" in page.url and "segment=smb" in page.url, page.url
        assert page.get_by_text("Q3 2026 vs Q2 2026 · smb · all regions", exact=False).first.is_visible()
    finally:
        page.close()


@pytest.mark.parametrize("path, heading, section, shot", [
    ("?period=last_quarter", "Shared scorecard", "What moves NPS", "insights-drivers-alerts.png"),
    ("voice?period=last_quarter", "Voice of the customer", "What customers are saying", "insights-themes.png"),
])
def test_the_insights_in_the_browser(browser, server, path, heading, section, shot):
    """The insight panels as a user sees them (the README shows these)."""
    page = _screen(browser, f"{server}/{path}", heading, (1600, 3600), shot.replace(".png", "-page.png"))
    try:
        _sign_in(page, "Browser analyst", "analyst")  # an analyst reads the comments
        _settled(page)
        title = page.get_by_role("heading", name=section, exact=True).first
        title.wait_for(timeout=60_000)
        top = title.bounding_box()["y"] - 10
        main = page.locator('[data-testid="stMain"]').bounding_box()
        page.screenshot(path=str(SHOTS / shot), clip={"x": main["x"], "y": top, "width": main["width"],
                                                      "height": 720})
        assert page.get_by_text("Something went wrong").count() == 0
        assert page.get_by_text("(withheld: your role sees aggregates only)").count() == 0
    finally:
        page.close()
