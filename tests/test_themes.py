"""Themes: comments from four planted topics, each recovered as one theme
with the right counts, scores and previous counts; masked for a viewer."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pytest

from cxhub import access
from cxhub.insights import themes
from cxhub.kpis.period import Period

from fixtures import TOPICS, build_comment_company

MARCH = Period(date(2025, 3, 1), date(2025, 3, 31))
COUNTS = {"delivery": 120, "app": 90, "staff": 60, "price": 40}
BEFORE = {"delivery": 30, "app": 80, "staff": 50, "price": 10}


def topic_of(theme: dict) -> str:
    """The planted topic whose words the theme's top terms come from."""
    def words(topic):
        parts = TOPICS[topic]
        return {w.strip(".,").lower() for key in ("open", "object", "close") for s in parts[key] for w in s.split()}
    hits = {t: sum(any(w in words(t) for w in term.split()) for term in theme["terms"]) for t in TOPICS}
    return max(hits, key=hits.get)


def test_four_planted_topics_are_four_themes_with_their_counts(tmp_path):
    con, march = build_comment_company(tmp_path / "c.duckdb", COUNTS, BEFORE)
    doc = themes.themes(con, MARCH, k=4)
    assert doc["n_comments"] == sum(COUNTS.values()) == len(march)
    found = {topic_of(t): t for t in doc["themes"]}
    assert set(found) == set(TOPICS)  # each topic is one theme
    for topic, theme in found.items():
        assert theme["count"] == COUNTS[topic], topic
        assert theme["previous_count"] == BEFORE[topic], topic
        assert theme["share"] == pytest.approx(100 * COUNTS[topic] / sum(COUNTS.values()))
        # Second computation: the topic's answers, by hand (every answer of a topic has its scores).
        nps, csat = TOPICS[topic]["nps"], TOPICS[topic]["csat"]
        assert theme["nps"] == (100.0 if nps >= 9 else -100.0 if nps <= 6 else 0.0)
        assert theme["csat"] == (100.0 if csat >= 4 else 0.0)
        assert len(theme["examples"]) == 3 and len(set(theme["examples"])) == 3
        assert all(topic in e.lower() for e in theme["examples"])  # the topic's core word is in each
        assert len(theme["terms"]) == themes.TOP_TERMS
        words = [w for term in theme["terms"] for w in term.split()]
        assert theme["label"] == " · ".join(list(dict.fromkeys(words))[:3])  # its first three distinct words
    assert [t["count"] for t in doc["themes"]] == sorted(COUNTS.values(), reverse=True)


def test_a_viewer_sees_themes_but_not_the_comments(tmp_path):
    con, _ = build_comment_company(tmp_path / "v.duckdb", COUNTS, BEFORE)
    viewer = access.Person("Vi", "viewer")
    doc = themes.masked(themes.themes(con, MARCH, k=4), viewer)
    assert all(e == access.WITHHELD for t in doc["themes"] for e in t["examples"])
    assert sorted(t["count"] for t in doc["themes"]) == sorted(COUNTS.values())  # the counts still count


def test_fewer_than_50_comments_give_no_themes(tmp_path):
    con, _ = build_comment_company(tmp_path / "few.duckdb", {"delivery": 30, "app": 19}, {})
    doc = themes.themes(con, MARCH)
    assert doc["n_comments"] == 49 and doc["themes"] == [] and "fewer than 50" in doc["reason"]


def test_cli_json(tmp_path):
    build_comment_company(tmp_path / "cli.duckdb", COUNTS, BEFORE)[0].close()
    out = subprocess.run([sys.executable, "-m", "cxhub.cli", "themes", "--db", str(tmp_path / "cli.duckdb"),
                          "--start", "2025-03-01", "--end", "2025-03-31", "--themes", "4", "--format", "json"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert set(doc) == {"n_comments", "themes"} and doc["n_comments"] == 310
    assert [set(t) for t in doc["themes"]] == [{"label", "terms", "count", "share", "nps", "csat",
                                                "previous_count", "examples"}] * 4
