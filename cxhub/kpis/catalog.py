"""The KPI catalog: every KPI of shared/spec/kpis.md declared once, as data.

The scorecard, the glossary, the CLI and the exports all read these records.
`family` names the SQL file in kpis/sql/ that computes the KPI (one query per
family computes all its KPIs at once)."""

from __future__ import annotations

from dataclasses import dataclass

GROUPS = ("Retention", "Satisfaction & consistency", "Systems & data")
OWNERS = ("CMO", "CIO", "Joint")

# Below this many responses a survey KPI is shown as "too few responses".
MIN_RESPONSES = 30


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
    survey: bool = False  # shown greyed when n < MIN_RESPONSES

    def format(self, value: float | None) -> str:
        """The value as a tile shows it."""
        if value is None or value != value:  # None or NaN
            return "–"
        if self.fmt == "pct":
            return f"{value:.1f}%"
        if self.fmt == "points":
            return f"{value:+.0f}" if self.id == "nps" else f"{value:.1f}"
        if self.fmt == "score":
            return f"{value:.2f}"
        if self.fmt == "currency":
            return f"{value:,.2f}"
        if self.fmt == "ms":
            return f"{value:,.0f} ms"
        return f"{value:,.0f}"

    def format_change(self, delta: float | None) -> str:
        """A change in the KPI's own unit: percentages move in points."""
        if delta is None or delta != delta:
            return "–"
        if self.fmt in ("pct", "points"):
            return f"{delta:+.1f} pts"
        if self.fmt == "score":
            return f"{delta:+.2f}"
        if self.fmt == "currency":
            return f"{delta:+,.2f}"
        if self.fmt == "ms":
            return f"{delta:+,.0f} ms"
        return f"{delta:+,.0f}"

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
    ),
    KPI(
        "revenue_per_customer", "Revenue per customer", "Retention", "CMO", "currency", "higher", "currency",
        "orders",
        "Average spend of a customer who bought in the period.",
        "sum(orders.amount) in P / count(distinct orders.customer_id) in P.",
        "customers who bought",
    ),
    KPI(
        "nps", "Net Promoter Score", "Satisfaction & consistency", "CMO", "points (−100..100)", "higher",
        "points", "surveys",
        "Promoters (9–10) minus detractors (0–6), as points out of 100: would customers recommend us?",
        "100 × (count(surveys.nps ≥ 9) − count(surveys.nps ≤ 6)) / count(surveys.nps not null), "
        "responded_at in P.",
        "NPS responses", survey=True,
    ),
    KPI(
        "csat", "Customer satisfaction (CSAT)", "Satisfaction & consistency", "Joint", "%", "higher", "pct",
        "surveys",
        "Share of survey answers that were satisfied or very satisfied (4 or 5 out of 5).",
        "100 × count(surveys.csat ≥ 4) / count(surveys.csat not null), responded_at in P.",
        "CSAT responses", survey=True,
    ),
    KPI(
        "ces", "Customer effort (CES)", "Satisfaction & consistency", "Joint", "score 1..7", "higher", "score",
        "surveys",
        "How easy customers found it to deal with us, from 1 (very hard) to 7 (very easy).",
        "mean(surveys.ces) over rows with ces not null, responded_at in P.",
        "CES responses", survey=True,
    ),
    KPI(
        "channel_consistency", "Channel consistency", "Satisfaction & consistency", "Joint",
        "points (0..100)", "higher", "points", "surveys",
        "How even satisfaction is across channels: 100 means every channel satisfies equally; "
        "the gap between the best and the worst channel is taken off.",
        "100 − (max − min) of CSAT % across touchpoints with ≥ 30 csat responses in P (after filters); "
        "null when fewer than 2 touchpoints qualify.",
        "touchpoints with 30+ CSAT responses",
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
    ),
    KPI(
        "scv_coverage", "Single-customer-view coverage", "Systems & data", "CIO", "%", "higher", "pct",
        "interactions",
        "Share of contacts we can tie to a known customer: how complete our single view of the customer is.",
        "100 × count(interactions in P whose customer_id exists in customers) / count(interactions in P).",
        "interactions",
    ),
    KPI(
        "digital_share", "Digital share", "Systems & data", "Joint", "%", "higher", "pct", "interactions",
        "Share of contacts that happened in digital channels (web, app, email, social…).",
        "100 × count(interactions in P at touchpoints of kind 'digital') / count(interactions in P).",
        "interactions",
    ),
    KPI(
        "availability", "Availability", "Systems & data", "CIO", "%", "higher", "pct", "health",
        "How much of the time the systems behind our touchpoints were up.",
        "mean(system_health.availability_pct) over rows with day in P (touchpoint filter only).",
        "touchpoint-days measured",
    ),
    KPI(
        "p95_latency_ms", "p95 latency", "Systems & data", "CIO", "ms", "lower", "ms", "health",
        "How long the slowest 5% of requests took: what a customer feels on a bad click.",
        "mean(system_health.p95_latency_ms) over rows with day in P and p95_latency_ms not null.",
        "touchpoint-days measured",
    ),
    KPI(
        "incidents", "Incidents", "Systems & data", "CIO", "count", "lower", "count", "health",
        "Number of IT incidents that hit a customer touchpoint.",
        "sum(system_health.incidents) over rows with day in P; null when there are no rows.",
        "touchpoint-days measured",
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
