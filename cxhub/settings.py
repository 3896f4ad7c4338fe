"""What `cxhub.toml` beside the database says about the company's display
(its [display] section); who may do what is its [access] section, read by
cxhub/access.py.

    [display]
    currency = "€"      # or "EUR", "$", "kr"; default: none

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
