"""The data contract as data: every table, column, type and rule a file must
follow to be imported. Import validation and the "Data contract" docs page both
read this one declaration (it restates shared/spec/data-contract.md v2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Plausible values (contract v2): dates and timestamps lie between this day
# and one day after the import's own time; decimals keep at most this many
# places (more is refused, never rounded).
EARLIEST_DATE = date(1900, 1, 1)
FUTURE_GRACE_DAYS = 1
DECIMAL_PLACES = 4
# The rule names a rejected row carries, as the contract names them.
RULES = {
    "required": "the value is empty",
    "type": "the value is not of the column's type",
    "range": "the value is outside the column's range",
    "allowed": "the value is not one of the allowed ones",
    "format": "the value does not have the required form",
    "reference": "the value names nothing known",
    "row": "the row as a whole breaks a rule",
    "duplicate key": "the same key appears earlier in the file",
    "date_range": f"dates lie between {EARLIEST_DATE} and one day after the import",
    "not_finite": "NaN and infinities are not numbers",
    "precision": f"at most {DECIMAL_PLACES} decimal places, never rounded",
    "not_scalar": "a JSON value must be a string, number, boolean or null",
    "malformed line": "the line cannot be parsed",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # text | date | timestamp | boolean | integer | number | decimal
    required: bool = False
    description: str = ""
    allowed: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None  # a regular expression the whole value must match
    references: str | None = None  # "table.column" that must hold the value
    default: object | None = None

    def rule(self) -> str:
        """The column's rules in words, as the docs and error messages show them."""
        parts = ["required" if self.required else "optional"]
        if self.allowed:
            parts.append("one of " + ", ".join(self.allowed))
        if self.minimum is not None and self.maximum is not None:
            parts.append(f"{number_text(self.minimum)}..{number_text(self.maximum)}")
        elif self.minimum is not None:
            parts.append(f">= {number_text(self.minimum)}")
        if self.pattern:
            parts.append("lower-case slug, at most 40 characters")
        if self.type in ("date", "timestamp"):
            parts.append(f"from {EARLIEST_DATE} to one day after the import")
        if self.type == "decimal":
            parts.append(f"at most {DECIMAL_PLACES} decimal places")
        if self.references == KPI_REF:
            parts.append("an id from the KPI catalog")
        elif self.references:
            parts.append(f"must exist in {self.references.split('.')[0]}")
        if self.default is not None:
            parts.append(f"default {self.default}")
        return "; ".join(parts)


@dataclass(frozen=True)
class Table:
    name: str
    kind: str  # dimension | fact
    key: tuple[str, ...]
    description: str
    columns: tuple[Column, ...]
    date_column: str | None = None
    at_least_one_of: tuple[str, ...] = field(default=())

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


def number_text(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


TOUCHPOINT_REF = "touchpoints.touchpoint_id"
KPI_REF = "kpis.id"  # the KPI catalog (cxhub/kpis/catalog.py)

TABLES: tuple[Table, ...] = (
    Table(
        "touchpoints", "dimension", ("touchpoint_id",),
        "The channels where customers meet the company, and who answers for each.",
        (
            Column("touchpoint_id", "text", True, "Stable id, e.g. web, mobile_app, contact_center.",
                   pattern=r"[a-z][a-z0-9_]{0,39}"),
            Column("name", "text", True, "Display name."),
            Column("kind", "text", True, "How the customer is served.", allowed=("digital", "assisted", "physical")),
            Column("owner", "text", True, "Who answers for it.", allowed=("CMO", "CIO", "Joint")),
        ),
    ),
    Table(
        "customers", "dimension", ("customer_id",),
        "Known customers (the single customer view).",
        (
            Column("customer_id", "text", True, "Stable customer id."),
            Column("signup_date", "date", True, "When the customer became known."),
            Column("segment", "text", False, "E.g. consumer, smb, enterprise."),
            Column("region", "text", False, "Sales or geographic region."),
        ),
    ),
    Table(
        "interactions", "fact", ("interaction_id",),
        "Every contact a customer has with the company, at any touchpoint.",
        (
            Column("interaction_id", "text", True, "Unique id of the contact."),
            Column("customer_id", "text", False, "Empty = anonymous (not yet resolved to a known customer)."),
            Column("touchpoint_id", "text", True, "Where it happened.", references=TOUCHPOINT_REF),
            Column("occurred_at", "timestamp", True, "When it happened (ISO 8601, stored as UTC)."),
            Column("intent", "text", False, "Why the customer came, e.g. billing, purchase, support."),
            Column("resolved", "boolean", False, "Whether the need was met in this contact."),
            Column("handle_seconds", "number", False, "Time spent handling it.", minimum=0),
        ),
        date_column="occurred_at",
    ),
    Table(
        "surveys", "fact", ("response_id",),
        "Survey responses: NPS, CSAT and CES with optional verbatim comment.",
        (
            Column("response_id", "text", True, "Unique id of the response."),
            Column("customer_id", "text", False, "Who answered, when known."),
            Column("touchpoint_id", "text", True, "The touchpoint the survey was about.", references=TOUCHPOINT_REF),
            Column("responded_at", "timestamp", True, "When the answer was given."),
            Column("nps", "integer", False, "How likely to recommend (0..10).", minimum=0, maximum=10),
            Column("csat", "integer", False, "How satisfied (1..5).", minimum=1, maximum=5),
            Column("ces", "integer", False, "The company made it easy (1..7, 7 = strongly agree).", minimum=1, maximum=7),
            Column("comment", "text", False, "Free-text verbatim."),
        ),
        date_column="responded_at",
        at_least_one_of=("nps", "csat", "ces"),
    ),
    Table(
        "orders", "fact", ("order_id",),
        "Purchases: the basis of retention, repeat purchase and revenue.",
        (
            Column("order_id", "text", True, "Unique id of the order."),
            Column("customer_id", "text", True, "Who bought."),
            Column("touchpoint_id", "text", True, "Where the order was placed.", references=TOUCHPOINT_REF),
            Column("ordered_at", "timestamp", True, "When the order was placed."),
            Column("amount", "decimal", True, "Order value.", minimum=0),
        ),
        date_column="ordered_at",
    ),
    Table(
        "system_health", "fact", ("touchpoint_id", "day"),
        "The CIO's side of each touchpoint: how the systems behind it ran that day.",
        (
            Column("touchpoint_id", "text", True, "The touchpoint served.", references=TOUCHPOINT_REF),
            Column("day", "date", True, "The day measured."),
            Column("availability_pct", "number", True, "Share of the day the service was up.", minimum=0, maximum=100),
            Column("p95_latency_ms", "number", False, "95th percentile response time.", minimum=0),
            Column("error_rate_pct", "number", False, "Share of requests that failed.", minimum=0, maximum=100),
            Column("incidents", "integer", False, "Incidents opened that day.", minimum=0, default=0),
        ),
        date_column="day",
    ),
    Table(
        "kpi_targets", "dimension", ("kpi_id", "touchpoint_id"),
        "Targets per KPI, company-wide or per touchpoint.",
        (
            Column("kpi_id", "text", True, "A KPI id from the KPI catalog.", references=KPI_REF),
            Column("touchpoint_id", "text", False, "Empty = the company-wide target.", references=TOUCHPOINT_REF),
            Column("target", "number", True, "The target value, in the KPI's unit."),
            Column("amber_band", "number", False,
                   "How far on the wrong side of target still counts as amber (default 5% of |target|).", minimum=0),
        ),
    ),
)

TABLES_BY_NAME = {t.name: t for t in TABLES}


def table(name: str) -> Table:
    """The contract of one table, with a clear error for an unknown name."""
    try:
        return TABLES_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; the contract has: {', '.join(TABLES_BY_NAME)}") from None
