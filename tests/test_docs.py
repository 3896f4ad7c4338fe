"""Meta-tests: nothing in the catalog or the contract goes undocumented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cxhub.contract import TABLES
from cxhub.kpis import CATALOG

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT.parent / "shared" / "spec"


def test_the_glossary_command_lists_every_kpi_from_the_catalog(capsys):
    """The README points to `cxhub glossary` rather than copying the catalog:
    a new KPI is documented by its catalog record alone."""
    import json

    from cxhub import cli

    assert "`cxhub glossary`" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert cli.main(["glossary", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in listed] == [k.id for k in CATALOG]
    assert all(r[f] for r in listed for f in cli.GLOSSARY_FIELDS)
    assert cli.main(["glossary", "--format", "markdown"]) == 0
    table = capsys.readouterr().out
    assert all(f"| `{k.id}` | {k.name} | {k.owner} |" in table for k in CATALOG)


def test_every_kpi_is_fully_defined():
    for k in CATALOG:
        assert k.business and k.technical and k.sample, k.id
        assert k.owner in ("CMO", "CIO", "Joint") and k.better in ("higher", "lower"), k.id


@pytest.mark.skipif(not (SPEC / "kpis.md").exists(), reason="the shared spec is not beside this checkout")
def test_catalog_matches_the_kpi_spec():
    spec = (SPEC / "kpis.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\w+) \| (CMO|CIO|Joint) \| ([^|]+) \| (higher|lower) \|", spec, re.M)
    assert {r[0] for r in rows} == {k.id for k in CATALOG}
    for kpi_id, owner, _unit, better in rows:
        k = next(k for k in CATALOG if k.id == kpi_id)
        assert (k.owner, k.better) == (owner, better), kpi_id


@pytest.mark.skipif(not (SPEC / "data-contract.md").exists(), reason="the shared spec is not beside this checkout")
def test_contract_matches_the_data_spec():
    spec = (SPEC / "data-contract.md").read_text(encoding="utf-8")
    for table in TABLES:
        section = spec.split(f"### {table.name} (key:")[1].split("###")[0]
        columns = re.findall(r"^\| (\w+) \| (\w+) \| (required|optional)", section, re.M)
        assert [c[0] for c in columns] == [c.name for c in table.columns], table.name
        for name, typ, req in columns:
            col = table.column(name)
            assert (col.type, col.required) == (typ, req == "required"), (table.name, name)


def test_glossary_and_contract_pages_show_everything(demo_db_path, monkeypatch):
    from fixtures import app, open_page

    at = open_page(app(demo_db_path, monkeypatch), "glossary")
    shown = "\n".join(e.label for e in at.expander)
    body = "\n".join(m.value for m in at.markdown)
    for k in CATALOG:
        assert k.id in shown and k.technical in body and k.business in body, k.id

    at = open_page(at, "data")
    labels = "\n".join(e.label for e in at.expander)
    columns = {c for df in at.dataframe for c in (df.value["column"] if "column" in df.value else [])}
    for table in TABLES:
        assert table.name in labels, table.name
        for c in table.columns:
            assert c.name in columns, (table.name, c.name)


def test_joint_work_is_documented(demo_db_path, monkeypatch):
    from fixtures import app, open_page

    from cxhub import joint

    at = open_page(app(demo_db_path, monkeypatch), "glossary")
    body = "\n".join(m.value for m in at.markdown)
    assert joint.PRIORITY_DEFINITION in body
    for f in joint.FIELDS:
        assert f"**{f.label}**: {f.help}" in body, f.name
    readme = (ROOT / "README.md").read_text()
    assert "cxhub pack --meeting" in readme and "needs discussion" in readme


def test_readme_documents_every_json_field():
    from cxhub.cli import KPI_FIELDS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [f for f in KPI_FIELDS if f"`{f}`" not in readme]
    assert not missing, f"README's JSON table lacks {missing}"


@pytest.mark.skipif(not (SPEC / "kpis.md").exists(), reason="the shared spec is not beside this checkout")
def test_json_fields_match_the_kpi_spec():
    from cxhub.cli import KPI_FIELDS

    spec = (SPEC / "kpis.md").read_text(encoding="utf-8")
    section = spec.split("## Machine-readable output (v2)")[1].split("`cxhub kpis --by")[0]
    named = re.findall(r"`(\w+)`", section.split("gives, for every KPI:")[1].split("The output")[0])
    assert list(KPI_FIELDS) == named


@pytest.mark.skipif(not (SPEC / "data-contract.md").exists(), reason="the shared spec is not beside this checkout")
def test_every_v2_rule_name_is_declared_and_used():
    from cxhub import contract, ingest

    spec = (SPEC / "data-contract.md").read_text(encoding="utf-8")
    named = set(re.findall(r"rule `(\w+)`", spec))
    assert named == {"date_range", "not_finite", "precision", "not_scalar"}
    assert named <= set(contract.RULES)
    source = Path(ingest.__file__).read_text(encoding="utf-8")
    assert all(f'"{name}: ' in source for name in named), "each rule is checked under its own name"


@pytest.mark.skipif(not (SPEC / "insights.md").exists(), reason="the shared spec is not beside this checkout")
def test_insight_documents_have_the_spec_fields():
    """The JSON of cxhub drivers, alerts and themes has exactly the fields
    insights.md lists (read from the spec, not copied)."""
    from cxhub.insights.output import ALERT_FIELDS, DRIVER_FIELDS, THEME_FIELDS

    spec = (SPEC / "insights.md").read_text(encoding="utf-8")
    drivers_doc = spec.split("`cxhub drivers", 1)[1].split("drivers sorted")[0]
    assert re.findall(r'"(\w+)"', drivers_doc.split('"drivers": [')[1].split("]")[0]) == DRIVER_FIELDS
    assert re.findall(r'"(\w+)"', drivers_doc.split('"left_out": [')[1].split("]")[0]) == ["id", "why"]
    alerts_doc = spec.split("`cxhub alerts", 1)[1].split("for alerts whose day")[0]
    assert re.findall(r'"(\w+)"', alerts_doc) == ALERT_FIELDS
    themes_doc = spec.split("`cxhub themes", 1)[1].split("`terms`")[0]
    assert re.findall(r'"(\w+)"', themes_doc.split('"themes": [')[1]) == THEME_FIELDS
