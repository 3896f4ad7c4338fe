"""Who may do what (the access contract): the table walked role by role
against the package's own writes, roles from cxhub.toml, the audit, and
the CLI's access and audit commands."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from cxhub import access, cli, ingest, joint, workspace

from fixtures import TINY_TOUCHPOINTS as TPS, write

# The access table of the spec, written out by hand: role -> what it may do.
MAY = {
    "viewer": set(),
    "analyst": {"detail", "edit"},
    "cmo": {"detail", "edit", "cmo score"},
    "cio": {"detail", "edit", "cio score"},
    "admin": {"detail", "edit", "administer"},
}
SETUP = access.Person("Setup", "admin", email="setup@example.com", verified=True)


def person(role: str) -> access.Person:
    return access.Person(f"A {role}", role, email=f"{role}@example.com", verified=True)


@pytest.fixture
def seeded(ws):
    """One initiative scored by nobody yet, one meeting with an open action."""
    initiative = joint.create_initiative(ws, {"title": "Callback", "owner": "Joint", "cost_band": "M"}, SETUP,
                                         known_touchpoints=TPS)
    action = joint.add_action(ws, date(2025, 3, 10), "Cost it", "Ian", "2025-03-31", SETUP)
    return ws, initiative, action


WRITES = {
    # what the write needs -> the call, on (ws, initiative id, action id, person)
    "edit: add an initiative": ("edit", lambda ws, i, a, p: joint.create_initiative(
        ws, {"title": "New", "owner": "CMO", "cost_band": "S"}, p, known_touchpoints=TPS)),
    "edit: rename an initiative": ("edit", lambda ws, i, a, p: joint.update_initiatives(
        ws, {i: {"title": "Renamed"}}, p, known_touchpoints=TPS)),
    "edit: record a decision": ("edit", lambda ws, i, a, p: joint.add_decision(ws, date(2025, 4, 10), "Go", p)),
    "edit: record an action": ("edit", lambda ws, i, a, p: joint.add_action(
        ws, date(2025, 4, 10), "Do it", "Ana", "2025-05-01", p)),
    "edit: close an action": ("edit", lambda ws, i, a, p: joint.set_action_statuses(ws, {a: "done"}, p)),
    "edit: hold a meeting": ("edit", lambda ws, i, a, p: joint.hold_meeting(ws, date(2025, 5, 8), p)),
    "cmo score": ("cmo score", lambda ws, i, a, p: joint.update_initiatives(
        ws, {i: {"cmo_impact": 4}}, p, known_touchpoints=TPS)),
    "cio score": ("cio score", lambda ws, i, a, p: joint.update_initiatives(
        ws, {i: {"cio_effort": 2}}, p, known_touchpoints=TPS)),
}


def state(ws) -> tuple:
    tables = ("initiatives", "meetings", "decisions", "action_items")
    return tuple(tuple(workspace.rows(ws, f"SELECT * FROM {t} ORDER BY 1")) for t in tables)


@pytest.mark.parametrize("role", list(MAY))
@pytest.mark.parametrize("write", list(WRITES))
def test_every_write_is_allowed_or_refused_by_the_table(seeded, role, write):
    ws, initiative, action = seeded
    needs, call = WRITES[write]
    before, audited = state(ws), len(joint.audit(ws))
    if needs in MAY[role]:
        call(ws, initiative, action, person(role))
        assert state(ws) != before
        last = joint.audit(ws).iloc[-1]
        assert last["allowed"] and last["actor"] == f"{role}@example.com" and last["verified"]
    else:
        with pytest.raises(access.AccessRefused):
            call(ws, initiative, action, person(role))
        assert state(ws) == before  # nothing changed...
        rows = joint.audit(ws).iloc[audited:]  # ...and the refusal is on record, once
        assert len(rows) == 1 and not rows.iloc[0]["allowed"] and rows.iloc[0]["action"] == "refused"
        assert rows.iloc[0]["actor"] == f"{role}@example.com"
        assert rows.iloc[0]["role"] == access.ROLE_LABELS[role]


@pytest.mark.parametrize("role", list(MAY))
def test_only_an_admin_imports_and_each_import_is_audited(tiny_db_path, tmp_path, role):
    file = write(tmp_path, "tp.csv", "touchpoint_id,name,kind,owner\nkiosk,Kiosk,physical,CMO\n")
    if "administer" in MAY[role]:
        result = ingest.import_file(tiny_db_path, "touchpoints", file, person=person(role))
        assert result.outcome == "loaded"
    else:
        with pytest.raises(access.AccessRefused, match="only admin may import data"):
            ingest.import_file(tiny_db_path, "touchpoints", file, person=person(role))
    with workspace.opened(workspace.path_for(tiny_db_path)) as ws:
        last = joint.audit(ws).iloc[-1]
    assert (last["entity"], last["field"], last["actor"], bool(last["allowed"])) == (
        "import", "touchpoints", f"{role}@example.com", "administer" in MAY[role])
    assert last["new_value"] == ("loaded" if "administer" in MAY[role] else "refused")


@pytest.mark.parametrize("role", list(MAY))
def test_verbatims_are_withheld_from_a_role_without_detail(role):
    comments = pd.DataFrame({"touchpoint": ["web", "app"], "nps": [2, 4], "comment": ["Slow", "Crashed"]})
    shown = access.masked(comments, person(role), ("comment",))
    if "detail" in MAY[role]:
        assert list(shown["comment"]) == ["Slow", "Crashed"]
    else:
        assert set(shown["comment"]) == {access.WITHHELD}
    assert list(shown["nps"]) == [2, 4]  # the scores still count


def test_the_rights_match_the_hand_written_table():
    names = {"see_customer_detail": "detail", "edit_joint_work": "edit", "score_as_cmo": "cmo score",
             "score_as_cio": "cio score", "administer": "administer"}
    for role, expected in MAY.items():
        got = {names[r.name] for r in access.rights_of(role) if r.name in names}
        assert got == expected, role
        assert access.may(person(role), "see_aggregates")
    assert not access.may(None, "see_aggregates")


def test_a_typed_name_is_marked_not_verified(ws):
    typed = access.Person("Claire", "CMO")
    joint.add_decision(ws, date(2025, 4, 10), "Go", typed)
    last = joint.audit(ws).iloc[-1]
    assert (last["actor"], last["name"], bool(last["verified"])) == ("Claire (not verified)", "Claire", False)


# ------------------------------------------------------------------ cxhub.toml

CONFIG = """
[access]
default_role = "none"
groups_claim = "groups"

[access.emails]
"CMO@example.com" = "cmo"
"ana@example.com" = "analyst"

[access.groups]
"cx-admins" = "admin"
"cx-analysts" = "analyst"
"""


def test_roles_come_from_emails_then_groups_then_the_default(tmp_path):
    path = tmp_path / "cxhub.toml"
    path.write_text(CONFIG)
    config = access.load_config(path)
    assert config.role_for("cmo@example.com") == "cmo"  # emails match whatever their case
    assert config.role_for("ana@example.com", {"groups": ["cx-admins"]}) == "analyst"  # the email wins
    assert config.role_for("bo@example.com", {"groups": ["sales", "cx-analysts", "cx-admins"]}) == "admin"
    assert config.role_for("bo@example.com", {"groups": "cx-analysts"}) == "analyst"
    assert config.role_for("stranger@example.com") == access.NO_ACCESS
    assert access.load_config(tmp_path / "missing.toml").role_for("anyone@example.com") == "viewer"


@pytest.mark.parametrize("text, says", [
    ('[access]\ndefault_role = "boss"\n', "default_role: role 'boss' is not one of viewer, analyst, cmo, cio, admin"),
    ('[access.emails]\n"a@b.c" = "owner"\n', "emails.'a@b.c': role 'owner'"),
    ('[access]\ndefault = "viewer"\n', "unknown key(s) default"),
    ('[access\n', "cxhub.toml"),
])
def test_a_bad_config_names_the_file_and_the_key(tmp_path, text, says):
    path = tmp_path / "cxhub.toml"
    path.write_text(text)
    with pytest.raises(access.AccessConfigError) as error:
        access.load_config(path)
    assert str(path) in str(error.value) and says in str(error.value)


def test_cli_access_check_prints_the_role_and_rights(tiny_db_path, capsys):
    (tiny_db_path.parent / "cxhub.toml").write_text(CONFIG)
    assert cli.main(["access", "check", "cmo@example.com", "--db", str(tiny_db_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("cmo@example.com: CMO (from ")
    assert "yes give the CMO's impact/effort score" in out and "no  give the CIO's impact/effort score" in out
    assert cli.main(["access", "check", "x@example.com", "--group", "cx-admins", "--db", str(tiny_db_path)]) == 0
    assert "x@example.com: admin" in capsys.readouterr().out
    assert cli.main(["access", "check", "x@example.com", "--db", str(tiny_db_path)]) == 0
    assert "no access" in capsys.readouterr().out


def test_cli_audit_lists_changes_imports_and_refusals(tiny_db_path, tmp_path, capsys):
    with workspace.opened(workspace.path_for(tiny_db_path)) as ws:
        joint.add_decision(ws, date(2025, 4, 10), "Fund callbacks", person("cmo"))
        with pytest.raises(access.AccessRefused):
            joint.add_decision(ws, date(2025, 4, 10), "Sneaky", person("viewer"))
    assert cli.main(["import", "touchpoints", str(write(tmp_path, "t.csv", "touchpoint_id,name,kind,owner\n"
                                                                        "kiosk,Kiosk,physical,CMO\n")),
                     "--db", str(tiny_db_path)]) == 0
    capsys.readouterr()
    assert cli.main(["audit", "--db", str(tiny_db_path), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["entity"], r["action"], r["allowed"]) for r in rows] == [
        ("meeting", "record", True), ("decision", "record", True), ("decision", "refused", False),
        ("import", "import", True)]
    assert rows[0]["actor"] == "cmo@example.com" and rows[-1]["actor"].startswith("cli:")
    assert "only analyst, CMO, CIO, admin may add and edit initiatives" in rows[2]["detail"]


def test_serve_refuses_other_machines_without_sign_in(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(access, "secrets_files", lambda app_dir: [tmp_path / "secrets.toml"])
    assert cli.main(["serve", "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert "no sign-in is configured" in err and "[auth]" in err and "--host 127.0.0.1" in err
    (tmp_path / "secrets.toml").write_text(
        '[auth]\nredirect_uri = "https://cx.example.com/oauth2callback"\ncookie_secret = "s"\n'
        'client_id = "cxhub"\nclient_secret = "x"\n'
        'server_metadata_url = "https://login.example.com/.well-known/openid-configuration"\n')
    assert access.sign_in_configured(tmp_path)
