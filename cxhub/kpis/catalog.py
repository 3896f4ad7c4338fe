"""The KPI catalog: every KPI of shared/spec/kpis.md declared once, as data.

The scorecard, the glossary, the CLI and the exports all read these records.
`family` names the SQL file in kpis/sql/ that computes the KPI (one query per
family computes all its KPIs at once)."""

from __future__ import annotations

from dataclasses import dataclass

GROUPS = ("Retention", "Satisfaction & consistency", "Systems & data")
OWNERS = ("CMO", "CIO", "Joint")

# The small-sample rule (KPI contract v2): a value resting on fewer than this
# many observations keeps its value but is not judged, ranked or coloured.
MIN_SAMPLE = 30

# Decimals shown per display unit; a KPI may declare its own (availability).
UNIT_DECIMALS = {"pct": 1, "points": 1, "score": 2, "currency": 2, "ms": 0, "count": 0}
# Which 95% interval the definition popover shows: "wilson" for a share of
# n, "mean" for a mean (mean ± 1.96·s/√n), None where n is not a sample.
INTERVALS = ("wilson", "mean")
# Each family's source table: its data range is the KPI's coverage.
FAMILY_SOURCES = {"orders": "orders", "surveys": "surveys", "interactions": "interactions",
                  "health": "system_health"}
# Days in an average calendar month, for count targets over periods that are
# not whole months (KPI contract v2, "Count targets").
DAYS_PER_MONTH = 30.4375
# How money is shown: set once per process from cxhub.toml's [display]
# (cxhub/settings.py). Empty: the number alone, never "$" by assumption.
_CURRENCY = {"symbol": ""}


def set_currency(symbol: str) -> None:
    _CURRENCY["symbol"] = symbol


def currency() -> str:
    """The symbol or code money is shown in ('' for none)."""
    return _CURRENCY["symbol"]


def with_currency(number: str) -> str:
    """'182.92' as money: a symbol before it (€182.92, −€6.17), a code or a
    word after it (182.92 EUR)."""
    symbol = _CURRENCY["symbol"]
    if not symbol:
        return number
    if symbol[-1].isalpha():
        return f"{number} {symbol}"
    sign = number[0] if number[:1] in "+-" else ""
    return f"{sign}{symbol}{number[len(sign):]}"


def _no_negative_zero(text: str) -> str:
    """'-0.0' -> '0.0': a value that rounds to zero has no sign."""
    return text[1:] if text.startswith("-") and not any(c in "123456789" for c in text) else text


@dataclass(frozen=True)
class KPI:
    id: str
    name: str
    group: str
    owner: str
    unit: str
    better: str  # "higher" | "lower"
    fmt: str  # pct | points | score | currency | ms | count
    family: str  # orders | surveys | interactions | health
    business: str  # the CMO's words
    technical: str  # the CIO's words: tables, columns, formula
    sample: str  # what n counts
    sample_rule: bool = True  # greyed and not judged when 0 < n < MIN_SAMPLE
    interval: str | None = "wilson"  # see INTERVALS
    monthly_target: bool = False  # a sum: its target is per calendar month, scaled to the period
    decimals: int | None = None  # default: UNIT_DECIMALS[fmt]
    signed: bool = False  # shown with its sign (NPS: +12.0)
    per_touchpoint: bool = True  # means something for one touchpoint alone
    short: str = ""  # the tile's title where the name is too long for a projector (default: the name)

    @property
    def label(self) -> str:
        return self.short or self.name

    @property
    def shown_unit(self) -> str:
        """The unit as screens show it: money in the company's currency."""
        return (_CURRENCY["symbol"] or self.unit) if self.fmt == "currency" else self.unit

    @property
    def places(self) -> int:
        return UNIT_DECIMALS[self.fmt] if self.decimals is None else self.decimals

    @property
    def source(self) -> str:
        """The table whose data range is this KPI's coverage."""
        return FAMILY_SOURCES[self.family]

    def rounded(self, value: float) -> float:
        return round(value, self.places)

    def format(self, value: float | None) -> str:
        """The value as every screen, pack and table shows it (the one
        formatting function: precision per unit, never '-0.0', '–' for null)."""
        if value is None or value != value:  # None or NaN
            return "–"
        number = _no_negative_zero(f"{value:{'+' if self.signed else ''},.{self.places}f}")
        if number.startswith("+") and not any(c in "123456789" for c in number):
            number = number[1:]
        if self.fmt == "pct":
            return f"{number}%"
        if self.fmt == "ms":
            return f"{number} ms"
        if self.fmt == "currency":
            return with_currency(number)
        return number

    def format_change(self, delta: float | None) -> str:
        """A change in the KPI's own unit (percentages move in points); a
        change that rounds to zero is 'no change', never '−0.0'."""
        if delta is None or delta != delta:
            return "–"
        if self.is_no_change(delta):
            return "no change"
        suffix = {"pct": " pts", "points": " pts", "ms": " ms"}.get(self.fmt, "")
        number = f"{delta:+,.{self.places}f}{suffix}"
        return with_currency(number) if self.fmt == "currency" else number

    def is_no_change(self, delta: float) -> bool:
        """True when the change is zero at the precision shown."""
        return self.rounded(abs(delta)) == 0

    def is_improvement(self, delta: float) -> bool:
        return delta > 0 if self.better == "higher" else delta < 0


CATALOG: tuple[KPI, ...] = (
    KPI(
        "retention_rate", "Retention rate", "Retention", "Joint", "%", "higher", "pct", "orders",
        "Of the customers who bought in the previous period, the share who bought again in this one.",
        "100 × |A(prev) ∩ A(P)| / |A(prev)|, where A(X) is the set of customer_id with at least one "
        "row in orders whose ordered_at falls in X (after filters).",
        "customers who bought in the previous period",
    ),
    KPI(
        "churn_rate", "Churn rate", "Retention", "CMO", "%", "lower", "pct", "orders",
        "Of the customers who bought in the previous period, the share who did not buy in this one.",
        "100 − retention_rate.",
        "customers who bought in the previous period",
    ),
    KPI(
        "repeat_purchase_rate", "Repeat purchase rate", "Retention", "CMO", "%", "higher", "pct", "orders",
        "Of this period's buyers, the share who bought more than once.",
        "100 × count(customer_id with ≥ 2 orders in P) / count(customer_id with ≥ 1 order in P).",
        "customers who bought",
        short="Repeat purchase",
    ),
    KPI(
        "revenue_per_customer", "Revenue per customer", "Retention", "CMO", "currency", "higher", "currency",
        "orders",
        "Average spend of a customer who bought in the period.",
        "sum(orders.amount) in P / count(distinct orders.customer_id) in P.",
        "customers who bought", interval="mean",
        short="Revenue / customer",
    ),
    KPI(
        "nps", "Net Promoter Score", "Satisfaction & consistency", "CMO", "points (−100..100)", "higher",
        "points", "surveys",
        "Promoters (9–10) minus detractors (0–6), as points out of 100: would customers recommend us?",
        "100 × (count(surveys.nps ≥ 9) − count(surveys.nps ≤ 6)) / count(surveys.nps not null), "
        "responded_at in P.",
        "NPS responses", interval="mean", signed=True,
        short="NPS",
    ),
    KPI(
        "csat", "Customer satisfaction (CSAT)", "Satisfaction & consistency", "Joint", "%", "higher", "pct",
        "surveys",
        "Share of survey answers that were satisfied or very satisfied (4 or 5 out of 5).",
        "100 × count(surveys.csat ≥ 4) / count(surveys.csat not null), responded_at in P.",
        "CSAT responses",
        short="CSAT",
    ),
    KPI(
        "ces", "Customer effort (CES)", "Satisfaction & consistency", "Joint", "score 1..7", "higher", "score",
        "surveys",
        "How easy customers found it to deal with us, from 1 (very hard) to 7 (very easy).",
        "mean(surveys.ces) over rows with ces not null, responded_at in P.",
        "CES responses", interval="mean",
        short="CES (effort)",
    ),
    KPI(
        "channel_consistency", "Channel consistency", "Satisfaction & consistency", "Joint",
        "points (0..100)", "higher", "points", "surveys",
        "How even satisfaction is across channels: 100 means every channel satisfies equally; "
        "the gap between the best and the worst channel is taken off.",
        "100 − (max − min) of CSAT % across touchpoints with ≥ 30 csat responses in P (after filters); "
        "null when fewer than 2 touchpoints qualify.",
        "CSAT responses at the touchpoints with 30+ of them", sample_rule=False, interval=None,
        per_touchpoint=False,
        short="Consistency",
    ),
    KPI(
        "fcr", "First-contact resolution", "Satisfaction & consistency", "Joint", "%", "higher", "pct",
        "interactions",
        "Share of assisted contacts (contact center, chat…) that solved the need first time: "
        "resolved, and the customer did not have to come back within 7 days.",
        "Over interactions in P at touchpoints of kind 'assisted' with resolved not null: 100 × share with "
        "resolved = true and no other interaction of the same customer_id in (t, t + 7 days], searched "
        "across all interactions whatever the filters; anonymous rows count on resolved alone.",
        "assisted contacts with a resolution flag",
        short="FCR",
    ),
    KPI(
        "scv_coverage", "Single-customer-view coverage", "Systems & data", "CIO", "%", "higher", "pct",
        "interactions",
        "Share of contacts we can tie to a known customer: how complete our single view of the customer is.",
        "100 × count(interactions in P whose customer_id exists in customers) / count(interactions in P).",
        "interactions",
        short="Single view",
    ),
    KPI(
        "digital_share", "Digital share", "Systems & data", "Joint", "%", "higher", "pct", "interactions",
        "Share of contacts that happened in digital channels (web, app, email, social…).",
        "100 × count(interactions in P at touchpoints of kind 'digital') / count(interactions in P).",
        "interactions", per_touchpoint=False,
    ),
    KPI(
        "availability", "Availability", "Systems & data", "CIO", "%", "higher", "pct", "health",
        "How much of the time the systems behind our touchpoints were up.",
        "mean(system_health.availability_pct) over rows with day in P (touchpoint filter only).",
        "touchpoint-days measured", sample_rule=False, interval=None, decimals=2,
    ),
    KPI(
        "p95_latency_ms", "p95 latency", "Systems & data", "CIO", "ms", "lower", "ms", "health",
        "How long the slowest 5% of requests took: what a customer feels on a bad click.",
        "mean(system_health.p95_latency_ms) over rows with day in P and p95_latency_ms not null.",
        "touchpoint-days with a latency figure", sample_rule=False, interval=None,
    ),
    KPI(
        "incidents", "Incidents", "Systems & data", "CIO", "count", "lower", "count", "health",
        "Number of IT incidents that hit a customer touchpoint.",
        "sum(system_health.incidents) over rows with day in P; null when there are no rows. "
        "The target is per calendar month: ×m for m whole months, else ×days/30.4375.",
        "touchpoint-days measured", sample_rule=False, interval=None, monthly_target=True,
    ),
)

KPIS: dict[str, KPI] = {k.id: k for k in CATALOG}
FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(k.family for k in CATALOG))


def kpi(kpi_id: str) -> KPI:
    """The KPI record for an id, with a clear error for an unknown one."""
    try:
        return KPIS[kpi_id]
    except KeyError:
        raise KeyError(f"unknown KPI {kpi_id!r}; known: {', '.join(KPIS)}") from None
