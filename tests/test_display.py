"""Meta-tests: every KPI value on a screen, in the pack, the CLI's table
and the exports goes through the one formatting function, KPI.format (and
KPI.format_change for changes), so precision, '–' for null and 'no -0.0'
hold everywhere."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Everything that turns numbers into text for people.
DISPLAY = [*sorted((ROOT / "app_pages").glob("*.py")), *sorted((ROOT / "cxhub" / "ui").glob("*.py")),
           ROOT / "app.py", ROOT / "cxhub" / "charts.py", ROOT / "cxhub" / "static_charts.py",
           ROOT / "cxhub" / "pack.py", ROOT / "cxhub" / "cli.py", ROOT / "cxhub" / "kpis" / "details.py",
           ROOT / "cxhub" / "templates" / "pack.html"]
MARK = "# not a KPI value"
# A number formatted with decimals: an f-string or str.format spec (:.1f, :+,.2f), a printf spec
# (%.1f) or a Plotly hover/text template (%{y:.1f}, %{z:,}).
DECIMALS = re.compile(r"\{[^{}]*:[+,]*\.\d+[f%]\}|%\.\d+f|%\{[a-z]+(\[\d+\])?:[^}]*\}|\|\s*round\b")


def offending_lines(path: Path) -> list[str]:
    return [f"{path.name}:{number}: {line.strip()}"
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if DECIMALS.search(line) and MARK not in line]


def test_no_kpi_value_is_formatted_outside_the_catalog():
    found = [hit for path in DISPLAY for hit in offending_lines(path)]
    assert not found, ("format KPI values with KPI.format / KPI.format_change (or mark a line that "
                       f"formats something else with '{MARK}'):\n" + "\n".join(found))


def test_the_meta_test_catches_a_hand_formatted_value(tmp_path):
    sample = tmp_path / "page.py"
    sample.write_text('st.metric("CSAT", f"{value:.1f}%")\nfig.update_traces(hovertemplate="%{y:.1f}")\n'
                      'st.write(k.format(value))\n', encoding="utf-8")
    assert [hit.split(":")[1] for hit in offending_lines(sample)] == ["1", "2"]


def test_every_metric_shows_a_formatted_value():
    """st.metric in a page or widget takes its value from KPI.format (or is marked)."""
    found = []
    for path in DISPLAY:
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if "st.metric(" in line:
                statement = " ".join(lines[i:i + 3])
                if ".format(" not in statement and MARK not in statement:
                    found.append(f"{path.relative_to(ROOT)}:{i + 1}")
    assert not found, found


def test_every_tile_colour_agrees_with_its_words():
    """Render a tile for every status and value combination and read back
    the badge: green says On target, orange Near target, red Off target, and
    grey never claims a status."""
    from streamlit.testing.v1 import AppTest

    def tiles():
        import itertools

        from cxhub.kpis import CATALOG
        from cxhub.kpis.status import judge, status_words
        from cxhub.ui.kpi_tile import kpi_tile

        cases = itertools.product([k for k in CATALOG if k.id in ("csat", "incidents", "p95_latency_ms")],
                                  [None, 50.0, 68.0, 90.0], [0, 12, 300], [True, False], [None, (70.0, 3.5)])
        for i, (k, value, n, complete, target) in enumerate(cases):
            state = judge(k, value, n, complete, target)
            kpi_tile({"id": k.id, "value": value, "previous": None, "change": None,
                      "target": target[0] if target else None, "amber_band": target[1] if target else None,
                      "status": state, "note": status_words(k, value, state, target[0] if target else None, n,
                                                            complete, "partial: surveys through 2025-03-30"),
                      "n": n, "complete": complete, "small_sample": bool(k.sample_rule and 0 < n < 30)},
                     key=str(i))

    at = AppTest.from_function(tiles).run()
    assert not at.exception
    # Each tile's badge line: the owner's badge, then the status badge.
    badges = [":" + m.value.rsplit(" :", 1)[1] for m in at.markdown if m.value.count("-badge[") == 2]
    assert len(badges) == 3 * 4 * 3 * 2 * 2
    words = {"green": "On target", "orange": "Near target", "red": "Off target"}
    seen = set()
    for badge in badges:
        colour, text = badge[1:].split("-badge[", 1)
        text = text.rsplit("]", 1)[0]
        seen.add(colour)
        if colour in words:
            assert text == words[colour], badge
        else:
            assert colour == "gray" and text not in words.values(), badge
    assert {"green", "orange", "red", "gray"} <= seen
