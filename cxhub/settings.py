"""What `cxhub.toml` beside the database says about the company's display
(its [display] section) and where the command line and the app compute
(its [engine] section); who may do what is its [access] section, read by
cxhub/access.py.

    [display]
    currency = "€"      # or "EUR", "$", "kr"; default: none

    [engine]
    name = "spark"                  # or "duckdb" (the default)
    lake = "/data/cxhub-lake"       # or catalog = "cx"
    master = "spark://host:7077"    # or remote = "sc://host:15002"; default local[2]

A symbol goes before the number (€182.92), a code or word after it
(182.92 EUR). There is no default currency: a company's revenue is never
shown in dollars by assumption."""

from __future__ import annotations

import os
from dataclasses import dataclass

from cxhub.access import toml_section
from cxhub.kpis import catalog

MAX_CURRENCY = 5


class SettingsError(ValueError):
    """A cxhub.toml whose [display] section cannot be used as written."""


@dataclass(frozen=True)
class Display:
    currency: str = ""
    source: str = "defaults (no cxhub.toml)"


def load_display(path: str | os.PathLike) -> Display:
    """The [display] section of a cxhub.toml; defaults when the file is
    missing. A mistake is a SettingsError naming the file and key."""
    data = toml_section(path, "display", SettingsError)
    if data is None:
        return Display()
    unknown = set(data) - {"currency"}
    if unknown:
        raise SettingsError(f"{path}: [display] has unknown key(s) {', '.join(sorted(unknown))}; known: currency")
    currency = data.get("currency", "")
    if not isinstance(currency, str) or len(currency.strip()) > MAX_CURRENCY \
            or any(not c.isprintable() or c in "<>*_`[]\\:~|#" for c in currency):
        raise SettingsError(f"{path}: [display] currency: {currency!r} is not a currency symbol or code "
                            f"(at most {MAX_CURRENCY} printable characters, e.g. \"€\" or \"EUR\")")
    return Display(currency=currency.strip(), source=str(path))


def apply(display: Display) -> None:
    """Every screen, table, export and pack of this process shows money so."""
    catalog.set_currency(display.currency)


ENGINES = ("duckdb", "spark")
ENGINE_KEYS = ("name", "lake", "catalog", "master", "remote")


@dataclass(frozen=True)
class Engine:
    name: str = "duckdb"
    lake: str | None = None
    catalog: str | None = None
    master: str | None = None
    remote: str | None = None

    def label(self) -> str:
        """'Spark (local[2]) · lake /data/lake' (the sidebar, `cxhub serve`); '' for DuckDB."""
        if self.name != "spark":
            return ""
        where = self.remote or self.master or "local[2]"
        return f"Spark ({where}) · " + (f"lake {self.lake}" if self.lake else f"catalog {self.catalog}")


def load_engine(path: str | os.PathLike) -> Engine:
    """The [engine] section of a cxhub.toml (defaults: DuckDB). A relative
    lake is relative to the file's folder. A mistake names the file and key."""
    data = toml_section(path, "engine", SettingsError)
    if not data:
        return Engine()
    unknown = set(data) - set(ENGINE_KEYS)
    if unknown:
        raise SettingsError(f"{path}: [engine] has unknown key(s) {', '.join(sorted(unknown))}; known: "
                            f"{', '.join(ENGINE_KEYS)}")
    if not all(isinstance(v, str) and v.strip() for v in data.values()):
        raise SettingsError(f"{path}: [engine] values are non-empty texts")
    name = data.get("name", "duckdb")
    if name not in ENGINES:
        raise SettingsError(f"{path}: [engine] name: {name!r} is not one of {', '.join(ENGINES)}")
    if data.get("lake") and data.get("catalog"):
        raise SettingsError(f"{path}: [engine] gives both lake and catalog; keep one")
    lake = data.get("lake")
    if lake and not os.path.isabs(lake):
        lake = os.path.join(os.path.dirname(os.path.abspath(path)), lake)
    return Engine(name, lake, data.get("catalog"), data.get("master"), data.get("remote"))


# `cxhub serve --engine spark --lake DIR` hands its choice to the server
# process in these variables; they win over cxhub.toml's [engine].
ENGINE_ENV = {"name": "CXHUB_ENGINE", "lake": "CXHUB_LAKE", "catalog": "CXHUB_CATALOG",
              "master": "CXHUB_SPARK_MASTER", "remote": "CXHUB_SPARK_REMOTE"}


def engine_env(engine: Engine) -> dict[str, str]:
    """The environment that tells the app's process which engine to use."""
    return {var: getattr(engine, key) for key, var in ENGINE_ENV.items() if getattr(engine, key)}


def app_engine(config_path: str | os.PathLike, environ=os.environ) -> Engine:
    """Where the app computes: what `cxhub serve` was told, else [engine]
    in cxhub.toml, else DuckDB."""
    if environ.get(ENGINE_ENV["name"]):
        values = {key: environ.get(var) or None for key, var in ENGINE_ENV.items()}
        if values["name"] not in ENGINES:
            raise SettingsError(f"{ENGINE_ENV['name']}={values['name']!r} is not one of {', '.join(ENGINES)}")
        return Engine(**values)
    return load_engine(config_path)
