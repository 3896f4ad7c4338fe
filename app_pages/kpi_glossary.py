"""Glossary: every KPI's business and technical definition, from the catalog."""

import streamlit as st

from cxhub import joint
from cxhub.kpis import CATALOG, GROUPS, MIN_SAMPLE
from cxhub.plaintext import md
from cxhub.ui import layout


def render() -> None:
    st.title("Glossary")
    st.write("Every number in CX Hub comes from one of these definitions. The business definition is the "
             "CMO's words; the technical definition is the CIO's: tables, columns, formula.")
    for group in GROUPS:
        st.header(group)
        for k in (k for k in CATALOG if k.group == group):
            with st.expander(f"{k.name} · `{k.id}`", expanded=False):
                st.markdown(f"**Owner:** {k.owner} · **Unit:** {md(k.shown_unit)} · **Better:** {k.better}")
                st.markdown(f"**What it means:** {k.business}")
                st.markdown(f"**How it is computed:** {k.technical}")
                st.markdown(f"**Sample size (n):** {k.sample}")
                st.page_link(layout.page("kpi"), label="Its trend, and by touchpoint, segment and region",
                             icon=":material/arrow_forward:", query_params={"kpi": k.id})
    st.header("Rules that apply to every KPI")
    st.markdown(
        "- **Period**: both days included. The previous period is the same number of whole months "
        "(April → March, Q2 → Q1) when the period is whole months, else the same number of days.\n"
        "- **Filters** narrow every fact table; segment and region go through the customer, so contacts "
        "with no known customer drop out. System health is never narrowed by segment or region.\n"
        "- **No data** gives no value (shown as –), never 0.\n"
        "- **Status**: green on the better side of the target, amber within the amber band (default 5% "
        "of the target), red beyond. The touchpoint's own target applies when exactly one touchpoint "
        "is shown.\n"
        f"- **Partial periods**: a KPI is complete when its source table's data covers the whole period. "
        "A partial KPI keeps its value but is shown grey, not judged, with no change or rose/fell sentence "
        "(e.g. \"partial: orders through 2026-10-29\"). Retention and churn have no value in a period with "
        "no order at all: no data is not churn.\n"
        f"- **Small samples**: every value carries n, the count it rests on. From fewer than {MIN_SAMPLE} "
        "(for every KPI except channel consistency and the system-health KPIs) the value is shown grey "
        "with its n (\"n = 12, too few to judge\"), gets no status, and is never ranked or called best or "
        "worst — on tiles, breakdown bars, trend points and cohort cells alike.\n"
        "- **Count targets**: the incidents target is per calendar month, multiplied by the number of whole "
        "months in the period, else by days / 30.4375.\n"
        "- **95% interval** (in each KPI's definition popover): Wilson for shares, mean ± 1.96·s/√n for NPS, "
        "CES and revenue per customer."
    )
    st.header("Joint work")
    st.markdown(f"- **Priority**: {joint.PRIORITY_DEFINITION}\n"
                f"- **{joint.ALIGNMENT_DEFINITION.split(':')[0]}**:{joint.ALIGNMENT_DEFINITION.split(':', 1)[1]}\n"
                "- **Overdue**: past its due date and neither done nor dropped (initiatives and action items).\n"
                "- **The agenda** of a meeting reviews the last full month before it: KPIs off target (those "
                "that were not red at the last meeting are marked as turned red), the biggest movers, "
                "initiatives that need discussion, are overdue or await approval or a score, and action items "
                "still open from earlier meetings. KPIs that are partial or rest on fewer than 30 observations are left out.")
    st.markdown("**An initiative's fields**")
    st.markdown("\n".join(f"- **{f.label}**: {f.help}" for f in joint.FIELDS))


if __name__ == "__main__":  # run by st.navigation as this page
    render()
