"""cxhub.toml's [display]: money in the company's currency, never "$" by
assumption, on every screen, table and printout that shows it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cxhub import settings
from cxhub.kpis import KPIS
from fixtures import app, texts

REVENUE = KPIS["revenue_per_customer"]


@pytest.fixture(autouse=True)
def no_currency_after():
    yield
    settings.apply(settings.Display())


def write_toml(folder, text: str):
    (folder / "cxhub.toml").write_text(text, encoding="utf-8")


def test_no_currency_unless_the_company_says_so(tmp_path):
    settings.apply(settings.load_display(tmp_path / "cxhub.toml"))  # no file: defaults
    assert REVENUE.format(182.92) == "182.92" and REVENUE.shown_unit == "currency"


@pytest.mark.parametrize("currency, value, change, unit", [
    ("€", "€1,182.92", "-€6.17", "€"),
    ("$", "$1,182.92", "-$6.17", "$"),
    ("EUR", "1,182.92 EUR", "-6.17 EUR", "EUR"),
    ("kr", "1,182.92 kr", "-6.17 kr", "kr"),
])
def test_a_symbol_goes_before_and_a_code_after(tmp_path, currency, value, change, unit):
    write_toml(tmp_path, f'[display]\ncurrency = "{currency}"\n')
    settings.apply(settings.load_display(tmp_path / "cxhub.toml"))
    assert REVENUE.format(1182.924) == value
    assert REVENUE.format_change(-6.17) == change
    assert REVENUE.format_change(6.17) == "+" + change[1:]
    assert REVENUE.shown_unit == unit
    assert KPIS["csat"].format(83.04) == "83.0%"  # only money changes


@pytest.mark.parametrize("load, text, message", [
    (settings.load_display, '[display]\ncurrency = "<b>€</b>"\n', "is not a currency"),
    (settings.load_display, '[display]\ncurrency = 5\n', "is not a currency"),
    (settings.load_display, '[display]\ncolour = "red"\n', "unknown key(s) colour"),
    (settings.load_display, '[display\n', "cxhub.toml"),
    (settings.load_engine, '[engine]\nname = "postgres"\n', "name: 'postgres' is not one of duckdb, spark"),
    (settings.load_engine, '[engine]\nname = "spark"\nlake = "a"\ncatalog = "b"\n', "both lake and catalog"),
    (settings.load_engine, '[engine]\nmaster = ""\n', "non-empty texts"),
    (settings.load_engine, '[engine]\ncluster = "x"\n', "unknown key(s) cluster"),
])
def test_a_mistake_names_the_file_and_key(tmp_path, load, text, message):
    write_toml(tmp_path, text)
    with pytest.raises(settings.SettingsError, match="cxhub.toml") as caught:
        load(tmp_path / "cxhub.toml")
    assert message in str(caught.value)


def test_the_cli_table_shows_the_currency(tiny_db_path):
    write_toml(tiny_db_path.parent, '[display]\ncurrency = "€"\n')
    out = subprocess.run([sys.executable, "-m", "cxhub.cli", "kpis", "--db", str(tiny_db_path),
                          "--start", "2025-03-01", "--end", "2025-03-31"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    line = next(x for x in out.stdout.splitlines() if x.startswith("Revenue per customer"))
    assert "€75.00" in line  # (40 + 60 + 90 + 10 + 100) / 4 March buyers, as in test_kpis


def test_a_wrong_currency_is_a_usage_error(tiny_db_path):
    write_toml(tiny_db_path.parent, '[display]\ncurrency = "dollars!"\n')
    out = subprocess.run([sys.executable, "-m", "cxhub.cli", "kpis", "--db", str(tiny_db_path),
                          "--start", "2025-03-01", "--end", "2025-03-31"], capture_output=True, text=True)
    assert out.returncode == 2 and "[display] currency" in out.stderr


def test_the_overview_tile_shows_the_currency(tiny_db_path, monkeypatch):
    write_toml(tiny_db_path.parent, '[display]\ncurrency = "$"\n')
    at = app(tiny_db_path, monkeypatch, {"period": "custom", "start": "2025-03-01", "end": "2025-03-31"})
    tile = next(m for m in at.metric if m.label == REVENUE.label)
    assert tile.value == "$75.00"
    # In Markdown "$…$" is maths: the caption under the tile (its target is
    # 75.0 too) escapes the sign, so it is shown as itself.
    assert "target \\$75.00 · n = 4" in texts(at)


def test_the_engine_section_says_where_the_command_line_computes(tmp_path):
    assert settings.load_engine(tmp_path / "cxhub.toml") == settings.Engine()  # no file: DuckDB
    write_toml(tmp_path, '[engine]\nname = "spark"\nlake = "lake"\nremote = "sc://spark.example.com:15002"\n')
    engine = settings.load_engine(tmp_path / "cxhub.toml")
    assert engine == settings.Engine("spark", str(tmp_path / "lake"), None, None, "sc://spark.example.com:15002")


def test_the_command_line_wins_over_the_file_and_the_file_over_the_default():
    from argparse import Namespace

    from cxhub.cli import CliError, engine_choice

    def args(**given):
        return Namespace(**{"engine": None, "lake": None, "catalog": None, "master": None, "remote": None, **given})

    configured = settings.Engine("spark", "/data/lake", None, "spark://m:7077", None)
    assert engine_choice(args(), settings.Engine()) == settings.Engine()
    assert engine_choice(args(), configured) == configured
    assert engine_choice(args(engine="duckdb"), configured) == settings.Engine()
    assert engine_choice(args(catalog="cx"), configured) == settings.Engine("spark", None, "cx", "spark://m:7077", None)
    assert engine_choice(args(lake="/other", master="local[4]"), settings.Engine()) == \
        settings.Engine("spark", "/other", None, "local[4]", None)
    with pytest.raises(CliError, match="--lake are for --engine spark"):
        engine_choice(args(engine="duckdb", lake="/x"), configured)
