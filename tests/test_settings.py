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


def test_what_changed_follows_a_currency_edit_at_the_next_click(demo_db_path, monkeypatch):
    """The Overview's "What changed" is cached: its sentences show money, so
    a currency set (or removed) in cxhub.toml shows at the next run."""
    import re

    def revenue_moves(at):
        return [m.value for m in at.markdown if "Revenue per customer" in m.value and " since " in m.value]

    at = app(demo_db_path, monkeypatch, {"period": "custom", "start": "2026-10-01", "end": "2026-10-31"})
    plain = revenue_moves(at)
    assert plain and not any("€" in m for m in plain)
    try:
        write_toml(demo_db_path.parent, '[display]\ncurrency = "€"\n')
        assert revenue_moves(at.run()) == [re.sub(r"(\d[\d,]*\.\d\d)", r"€\1", m) for m in plain]
    finally:
        (demo_db_path.parent / "cxhub.toml").unlink()
    assert revenue_moves(at.run()) == plain


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


def test_the_app_takes_its_engine_from_serve_then_from_the_file(tmp_path):
    config = tmp_path / "cxhub.toml"
    config.write_text('[engine]\nname = "spark"\ncatalog = "cx"\n')
    assert settings.app_engine(config, environ={}) == settings.Engine("spark", None, "cx")
    told = settings.Engine("spark", "/data/lake", None, "local[4]")
    environ = settings.engine_env(told)
    assert environ == {"CXHUB_ENGINE": "spark", "CXHUB_LAKE": "/data/lake", "CXHUB_SPARK_MASTER": "local[4]"}
    assert settings.app_engine(config, environ=environ) == told  # what serve was told wins
    assert settings.app_engine(tmp_path / "none.toml", environ={}) == settings.Engine()
    assert told.label() == "Spark (local[4]) · lake /data/lake"
    assert settings.Engine("spark", catalog="cx", remote="sc://h:15002").label() == "Spark (sc://h:15002) · catalog cx"
    assert settings.Engine().label() == ""
    with pytest.raises(settings.SettingsError, match="CXHUB_ENGINE='spork' is not one of duckdb, spark"):
        settings.app_engine(config, environ={"CXHUB_ENGINE": "spork"})


def test_serve_hands_the_spark_engine_to_the_server(tmp_path, monkeypatch, capsys, tiny_db_path):
    """`cxhub serve --engine spark --lake DIR`: checked before a port opens,
    then passed to the server process (a relative lake made absolute)."""
    from cxhub import cli, db, spark

    started = []

    class Server:
        def __init__(self, command, env, cwd):
            started.append((command, env, cwd))

        def wait(self):
            return 0

    monkeypatch.setattr(cli.subprocess, "Popen", Server)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["serve", "--engine", "spark", "--lake", "lake", "--db", str(tiny_db_path)]) == 2
    assert "lake: no folder for table(s) touchpoints, customers" in capsys.readouterr().err and not started
    con = db.connect(tiny_db_path, read_only=True)
    spark.export_lake(con, tmp_path / "lake")
    con.close()
    if spark.problem(lake=str(tmp_path / "lake")):  # no PySpark or Java here: serve says so and starts nothing
        assert cli.main(["serve", "--lake", "lake", "--db", str(tiny_db_path)]) == 2
        assert spark.problem(lake=str(tmp_path / "lake")) in capsys.readouterr().err and not started
        return
    assert cli.main(["serve", "--lake", "lake", "--db", str(tiny_db_path)]) == 0
    (_, env, _), = started
    assert env["CXHUB_ENGINE"] == "spark" and env["CXHUB_LAKE"] == str(tmp_path / "lake")
    assert "CXHUB_CATALOG" not in env and env[db.ENV_VAR] == str(tiny_db_path.resolve())
    assert f"Spark (local[2]) · lake {tmp_path / 'lake'}; joint work beside" in capsys.readouterr().out
