"""The `cxhub` command: build the demo, print the scorecard, import files,
write a meeting pack, start the app."""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import io
import json
import math
import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

from cxhub import access, contract, db, settings, workspace
from cxhub.kpis import CATALOG, Filters, Period, UnknownValue, breakdown, check_filters, scorecard

APP = Path(__file__).resolve().parent.parent / "app.py"


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _month(text: str) -> date:
    try:
        return date.fromisoformat(text + "-01") if len(text) == 7 else date.fromisoformat(text).replace(day=1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month (YYYY-MM)") from None


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def engine_options(p: argparse.ArgumentParser) -> None:
    """--engine and where the spark engine finds the data (engines contract)."""
    p.add_argument("--engine", choices=("duckdb", "spark"),
                   help="duckdb (the database file) or spark (a lake or a catalog, the same definitions); "
                        "default: [engine] in cxhub.toml, else duckdb")
    p.add_argument("--lake", metavar="DIR", help="spark: the lake, one Parquet folder per table (cxhub lake export)")
    p.add_argument("--catalog", metavar="NAME", help="spark: a catalog database holding the seven tables")
    p.add_argument("--master", metavar="URL", help="spark: the master (default local[2])")
    p.add_argument("--remote", metavar="URL", help="spark: a Spark Connect server, sc://host:15002")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cxhub", description="CX Hub: one shared CX scorecard for the CMO and CIO.")
    sub = p.add_subparsers(dest="command", required=True)
    db_help = f"database file (default: ${db.ENV_VAR}, else {db.DEFAULT_DB})"

    d = sub.add_parser("demo", help="build the demo company into a database")
    d.add_argument("--db", help=db_help)
    # Defaults live in cxhub/demo.py, which loads only for this command.
    d.add_argument("--seed", type=int, help="default: the demo's own (42)")
    d.add_argument("--customers", type=_positive, help="default: 20,000")
    d.add_argument("--months", type=_positive, help="default: 24")
    d.add_argument("--end-month", type=_month, help="last month of data, YYYY-MM (default: last month)")

    k = sub.add_parser("kpis", help="print the shared scorecard for a period")
    k.add_argument("--db", help=db_help)
    k.add_argument("--start", type=_date, required=True)
    k.add_argument("--end", type=_date, required=True)
    k.add_argument("--touchpoint", action="append", default=[], help="repeat for several")
    k.add_argument("--segment", action="append", default=[], help="repeat for several")
    k.add_argument("--region", action="append", default=[], help="repeat for several")
    k.add_argument("--by", choices=("touchpoint", "segment", "region", "month"),
                   help="break the scorecard down: one group per touchpoint, segment, region or month")
    k.add_argument("--format", choices=("table", "json", "csv"), default="table")
    engine_options(k)

    lk = sub.add_parser("lake", help="move a CX Hub database to a lake (Parquet) for the spark engine")
    lk_sub = lk.add_subparsers(dest="lake_command", required=True)
    le = lk_sub.add_parser("export", help="write the seven contract tables as Parquet folders under --to")
    le.add_argument("--db", help=db_help)
    le.add_argument("--to", required=True, metavar="DIR")

    i = sub.add_parser(
        "import", help="load files into a table of the data contract",
        description="Exit codes: 0 every row loaded; 3 some rows were rejected (see `cxhub rejects`); "
                    "4 a file was refused and loaded nothing; 5 the database cannot be used (damaged, "
                    "locked, or the disk is full; nothing was changed); 2 a usage error.",
    )
    i.add_argument("table", choices=[t.name for t in contract.TABLES])
    i.add_argument("files", nargs="+", metavar="FILE")
    i.add_argument("--db", help=db_help)
    i.add_argument("--dry-run", action="store_true", help="validate and report; change nothing")

    r = sub.add_parser("rejects", help="list or export rejected rows")
    r.add_argument("--db", help=db_help)
    r.add_argument("--table", choices=[t.name for t in contract.TABLES])
    r.add_argument("--out", help="write them to this CSV file")

    m = sub.add_parser("pack", help="write a steering meeting's pack (HTML and PDF)",
                       description="Writes cxhub-steering-DATE.html (interactive, opens offline) and "
                                   "cxhub-steering-DATE.pdf into --out.")
    m.add_argument("--meeting", type=_date, required=True, metavar="DATE", help="meeting date, YYYY-MM-DD")
    m.add_argument("--out", required=True, metavar="DIR", help="folder to write the two files into")
    m.add_argument("--db", help=db_help + "; its workspace holds the meetings")
    engine_options(m)

    filters_help = "repeat for several"
    dr = sub.add_parser("drivers", help="what moves NPS or CSAT, and who owns it (Johnson's relative weights)")
    dr.add_argument("--kpi", choices=("nps", "csat"), default="nps")
    al = sub.add_parser("alerts", help="spikes, dips and shifts in each touchpoint's series, worst first")
    th = sub.add_parser("themes", help="what customers are saying: themes of the period's comments")
    th.add_argument("--themes", type=_positive, default=6, metavar="K", help="how many themes (default 6)")
    for q in (dr, al, th):
        q.add_argument("--db", help=db_help)
        q.add_argument("--start", type=_date, required=True)
        q.add_argument("--end", type=_date, required=True)
        q.add_argument("--touchpoint", action="append", default=[], help=filters_help)
        if q is not al:  # alerts are per touchpoint: segment and region do not narrow a system's health
            q.add_argument("--segment", action="append", default=[], help=filters_help)
            q.add_argument("--region", action="append", default=[], help=filters_help)
        q.add_argument("--format", choices=("table", "json", "csv"), default="table")
        engine_options(q)

    a = sub.add_parser("access", help="who may do what: check the role a person would get",
                       description="Roles come from the [access] section of cxhub.toml beside the database.")
    a_sub = a.add_subparsers(dest="access_command", required=True)
    ac = a_sub.add_parser("check", help="print the role and rights an email would get")
    ac.add_argument("email")
    ac.add_argument("--group", action="append", default=[], help="a group the person belongs to (repeat)")
    ac.add_argument("--db", help=db_help)

    u = sub.add_parser("audit", help="list the audit: every change, import and refusal, who, when, what")
    u.add_argument("--since", type=_date, metavar="DATE", help="from this day on (YYYY-MM-DD)")
    u.add_argument("--format", choices=("table", "json", "csv"), default="table")
    u.add_argument("--db", help=db_help)

    g = sub.add_parser("glossary", help="list every KPI: id, name, owner, unit, which way is better, definition",
                       description="The KPI catalog, as the app's Glossary page shows it.")
    g.add_argument("--format", choices=("table", "markdown", "json"), default="table")

    s = sub.add_parser("serve", help="start the dashboard")
    s.add_argument("--db", help=db_help)
    s.add_argument("--port", type=int, default=8501)
    s.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    engine_options(s)
    return p


def _clean(x):
    """A number as strict JSON has it: NaN and infinities are null."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return None
    return x


def _day(d) -> str | None:
    return None if d is None or (isinstance(d, float) and math.isnan(d)) else d.isoformat()


# The fields of every KPI in the JSON and CSV output (KPI contract v2).
KPI_FIELDS = ("id", "name", "unit", "owner", "value", "previous", "target", "status", "n", "previous_n",
              "complete", "data_through", "small_sample")


def kpi_records(frame) -> list[dict]:
    """scorecard-shaped rows as the v2 JSON gives them."""
    return [
        {
            "id": r["id"], "name": r["name"], "unit": r["unit"], "owner": r["owner"],
            "value": _clean(r["value"]), "previous": _clean(r["previous"]), "target": _clean(r["target"]),
            "status": r["status"], "n": int(r["n"]), "previous_n": int(r["previous_n"]),
            "complete": bool(r["complete"]), "data_through": _day(r["data_through"]),
            "small_sample": bool(r["small_sample"]),
        }
        for r in frame.to_dict("records")
    ]


def _span(period: Period) -> dict:
    return {"start": period.start.isoformat(), "end": period.end.isoformat()}


def scorecard_document(con, period: Period, filters: Filters, by: str | None = None) -> dict:
    """The scorecard (or its breakdown) as the JSON the CLI prints."""
    doc = {"period": _span(period), "previous": _span(period.previous()), "filters": filters.as_dict()}
    if by is None:
        return {**doc, "kpis": kpi_records(scorecard(con, period, filters))}
    frame = breakdown(con, period, by, filters)
    groups = [{"group": key, "kpis": kpi_records(part)} for key, part in frame.groupby("slice", sort=True)]
    return {**doc, "by": by, "groups": groups}


def to_json(doc) -> str:
    """Strict JSON: a NaN or an infinity is an error here, never output."""
    return json.dumps(doc, indent=2, allow_nan=False)


def _kpi_rows(doc: dict):
    """(group or None, kpi record) for every KPI of a scorecard or breakdown document."""
    if "groups" in doc:
        return [(g["group"], k) for g in doc["groups"] for k in g["kpis"]]
    return [(None, k) for k in doc["kpis"]]


def _table(doc: dict) -> str:
    by_id = {k.id: k for k in CATALOG}
    grouped = "groups" in doc
    header = (*((doc["by"],) if grouped else ()), "KPI", "owner", "value", "previous", "target", "status", "n",
              "note")
    rows = []
    for group, k in _kpi_rows(doc):
        kpi_ = by_id[k["id"]]
        note = ("no data" if k["value"] is None else "small sample" if k["small_sample"]
                else "" if k["complete"] else f"partial: data through {k['data_through'] or 'none'}")
        rows.append((*((group,) if grouped else ()), k["name"], k["owner"], kpi_.format(k["value"]),
                     kpi_.format(k["previous"]), kpi_.format(k["target"]), k["status"], f"{k['n']:,}", note))
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
    title = f"CX Hub scorecard {doc['period']['start']} to {doc['period']['end']} " \
            f"(previous {doc['previous']['start']} to {doc['previous']['end']})"
    return "\n".join([title, line(header), line(["-" * w for w in widths]), *map(line, rows)])


def _csv(doc: dict) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    grouped = "groups" in doc
    w.writerow([*((doc["by"],) if grouped else ()), *KPI_FIELDS])
    for group, k in _kpi_rows(doc):
        w.writerow([*((group,) if grouped else ()), *("" if k[f] is None else k[f] for f in KPI_FIELDS)])
    return out.getvalue()


EXIT_USAGE = 2
EXIT_REJECTED = 3
EXIT_REFUSED = 4
EXIT_DATABASE = 5  # the database cannot be used: damaged, locked, or the disk is full


def cmd_demo(args) -> int:
    from cxhub import demo

    args.seed = demo.DEFAULT_SEED if args.seed is None else args.seed
    args.customers = args.customers or demo.DEFAULT_CUSTOMERS
    args.months = args.months or demo.DEFAULT_MONTHS
    path = db.resolve_db_path(args.db)
    ws_path = workspace.path_for(path)
    with db.writing(path) as con:
        counts = demo.build_demo(con, args.customers, args.months, args.seed, args.end_month,
                                 workspace_path=ws_path)
    size = path.stat().st_size / 1e6
    print(f"Demo company built in {path} ({size:,.1f} MB) in {counts.pop('seconds')} s:")  # not a KPI value
    for table, n in counts.items():
        print(f"  {table:<14} {n:>12,}")
    print(f"Joint work (initiatives, meetings) is in {ws_path}; the demo story is added only when it is empty.")
    return 0


def engine_choice(args, configured: settings.Engine) -> settings.Engine:
    """The engine and its data: what the command line says, else what
    [engine] in cxhub.toml says, else DuckDB."""
    given = {k: getattr(args, k) for k in ("lake", "catalog", "master", "remote") if getattr(args, k)}
    if args.engine == "duckdb" and given:
        raise CliError(f"--{', --'.join(given)} are for --engine spark")
    name = args.engine or ("spark" if given.get("lake") or given.get("catalog") else configured.name)
    if name != "spark":
        return settings.Engine()
    if given.get("lake") or given.get("catalog"):  # a place on the command line replaces the file's
        configured = settings.Engine("spark", master=configured.master, remote=configured.remote)
    return settings.Engine("spark", given.get("lake", configured.lake), given.get("catalog", configured.catalog),
                           given.get("master", configured.master), given.get("remote", configured.remote))


def chosen_engine(args) -> settings.Engine:
    """engine_choice with the [engine] of the cxhub.toml beside --db."""
    return engine_choice(args, settings.load_engine(access.config_path(db.resolve_db_path(args.db))))


@contextlib.contextmanager
def opened(args):
    """The data the command reads: the DuckDB file (read-only), or the spark
    engine on a lake or a catalog."""
    chosen = chosen_engine(args)
    if chosen.name == "spark":
        from cxhub import spark

        try:
            con = spark.connect(lake=chosen.lake, catalog=chosen.catalog, master=chosen.master, remote=chosen.remote)
        except spark.SparkUnavailable as exc:
            raise CliError(str(exc)) from None
        yield con
        return
    with db.reading(db.resolve_db_path(args.db)) as con:
        yield con


def cmd_kpis(args) -> int:
    if args.end < args.start:
        raise CliError(f"--end {args.end} is before --start {args.start}")
    filters = Filters(tuple(args.touchpoint), tuple(args.segment), tuple(args.region))
    with opened(args) as con:
        check_filters(con, filters)
        doc = scorecard_document(con, Period(args.start, args.end), filters, args.by)
    if args.format == "json":
        print(to_json(doc))
    elif args.format == "csv":
        print(_csv(doc), end="")
    else:
        print(_table(doc))
    return 0


def cmd_insight(args) -> int:
    """drivers, alerts and themes: the insights contract's documents."""
    from cxhub.insights import alerts, drivers, output, themes

    if args.end < args.start:
        raise CliError(f"--end {args.end} is before --start {args.start}")
    period = Period(args.start, args.end)
    filters = Filters(tuple(args.touchpoint), tuple(getattr(args, "segment", ())), tuple(getattr(args, "region", ())))
    with opened(args) as con:
        check_filters(con, filters)
        if args.command == "drivers":
            doc = drivers.drivers(con, args.kpi, period, filters)
            text = {"csv": lambda: output.drivers_csv(doc),
                    "table": lambda: output.drivers_table(doc, drivers.by_owner(doc))}
        elif args.command == "alerts":
            doc = alerts.alerts(con, period, filters)
            text = {"csv": lambda: output.alerts_csv(doc),
                    "table": lambda: output.alerts_table(doc, period.start, period.end)}
        else:
            doc = themes.masked(themes.themes(con, period, filters, args.themes), access.cli_person())
            text = {"csv": lambda: output.themes_csv(doc), "table": lambda: output.themes_table(doc)}
    print(output.to_json(doc) if args.format == "json" else text[args.format]().rstrip("\n"))
    return 0


def cmd_lake(args) -> int:
    from cxhub import spark

    with db.reading(db.resolve_db_path(args.db)) as con:
        counts = spark.export_lake(con, args.to)
    print(f"Lake written to {args.to}:")
    for table, n in counts.items():
        print(f"  {table:<14} {n:>12,} rows  ({args.to}/{table}/)")
    return 0


def cmd_import(args) -> int:
    from cxhub import ingest

    path = db.resolve_db_path(args.db)
    results = []
    for name in args.files:
        # Each file is its own transaction on a copy that replaces the
        # database when it is done: a running dashboard is never blocked.
        results.append(ingest.import_file(path, args.table, name, dry_run=args.dry_run, person=access.cli_person()))
        print(results[-1].summary(), flush=True)
        if args.dry_run:
            for _, _, _, line, column, rule, value, _, key in results[-1].rejected_sample[:10]:
                print(f"  line {line}" + (f" ({key})" if key else "") + f": {column or '(row)'}: {rule}"
                      + (f" (value {value!r})" if value else ""))
    if any(r.outcome == "refused" for r in results):
        return EXIT_REFUSED
    if any(r.rows_rejected for r in results):
        if not args.dry_run:
            print("See the rejected rows with: cxhub rejects --table " + args.table, file=sys.stderr)
        return EXIT_REJECTED
    return 0


def cmd_access(args) -> int:
    path = db.resolve_db_path(args.db)
    config = access.load_config(access.config_path(path))
    claims = {config.groups_claim: args.group} if config.groups_claim else {}
    role = config.role_for(args.email, claims)
    print(f"{args.email}: {access.ROLE_LABELS.get(role, role)} (from {config.source})")
    if role == access.NO_ACCESS:
        print("  no access: the sign-in is refused (default_role = \"none\")")
        return 0
    granted = access.rights_of(role)
    for right in access.RIGHTS:
        print(f"  {'yes' if right in granted else 'no ':<4}{right.description}")
    return 0


AUDIT_COLUMNS = ("at", "actor", "verified", "role", "action", "entity", "entity_id", "field", "old_value",
                 "new_value", "allowed", "detail")


def cmd_audit(args) -> int:
    from cxhub import exports, joint

    path = workspace.path_for(db.resolve_db_path(args.db))
    if not path.exists():
        raise CliError(f"no workspace at {path}: nothing has been recorded yet")
    with workspace.opened(path) as ws:
        frame = joint.audit(ws, args.since)[list(AUDIT_COLUMNS)]
    if args.format == "json":
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        for r in records:
            r["at"] = r["at"].isoformat(sep=" ")
        print(json.dumps(records, indent=2, ensure_ascii=False, allow_nan=False))
    elif args.format == "csv":
        sys.stdout.buffer.write(exports.to_csv(frame))
    elif frame.empty:
        print("Nothing in the audit" + (f" since {args.since}." if args.since else "."))
    else:
        print(frame.to_string(index=False, max_colwidth=50))
    return 0


GLOSSARY_FIELDS = ("id", "name", "owner", "unit", "better", "group", "business", "technical", "sample")


def cmd_glossary(args) -> int:
    rows = [{f: getattr(k, f) for f in GLOSSARY_FIELDS} for k in CATALOG]
    if args.format == "json":
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    elif args.format == "markdown":
        print("| id | KPI | owner | unit | better | definition |\n|---|---|---|---|---|---|")
        for r in rows:
            print(f"| `{r['id']}` | {r['name']} | {r['owner']} | {r['unit']} | {r['better']} | {r['business']} |")
    else:
        width = max(len(r["id"]) for r in rows)
        for r in rows:
            print(f"{r['id']:<{width}}  {r['name']} ({r['owner']}, {r['unit']}, {r['better']} is better)")
            print(f"{'':<{width}}  {r['business']}")
    return 0


def cmd_rejects(args) -> int:
    from cxhub import exports, ingest

    with db.reading(db.resolve_db_path(args.db)) as con:
        frame = ingest.rejects(con, args.table)
    if args.out:
        Path(args.out).write_bytes(exports.to_csv(frame))
        print(f"{len(frame):,} rejected row(s) written to {args.out}")
    elif frame.empty:
        print("No rejected rows.")
    else:
        print(frame.drop(columns=["original"]).to_string(index=False, max_colwidth=60))
    return 0


def cmd_pack(args) -> int:
    from cxhub import pack  # PDF and plotting libraries: loaded only for this command

    path = db.resolve_db_path(args.db)
    with opened(args) as con, workspace.opened(workspace.path_for(path)) as ws:
        html_path, pdf_path = pack.write_pack(con, ws, args.meeting, args.out)
    print(f"Meeting pack for {args.meeting}:\n  {html_path}\n  {pdf_path}")
    return 0


def serve_command(args) -> list[str]:
    """The server process `cxhub serve` runs: Streamlit, after a warm-up of
    the Overview in the same process (cxhub/ui/serving.py)."""
    return [sys.executable, "-m", "cxhub.ui.serving", str(APP), "--server.port", str(args.port),
            "--server.address", args.host]


def cmd_serve(args) -> int:
    if args.host not in access.LOOPBACK and not access.sign_in_configured(APP.parent):
        raise CliError(
            f"--host {args.host} would let other machines reach the dashboard, and no sign-in is configured. "
            f"Add an [auth] section (redirect_uri, cookie_secret, client_id, client_secret, "
            f"server_metadata_url) to {APP.parent / '.streamlit' / 'secrets.toml'} as the README's Security "
            "section shows, and the people's roles to cxhub.toml beside the database; or keep the default "
            "--host 127.0.0.1 (this machine only)")
    env = dict(os.environ)
    env[db.ENV_VAR] = str(db.resolve_db_path(args.db).resolve())
    chosen = chosen_engine(args)
    where = f"database {env[db.ENV_VAR]}"
    if chosen.name == "spark":
        from cxhub import spark

        problem = spark.problem(chosen.lake, chosen.catalog, chosen.remote)
        if problem:
            raise CliError(problem)
        if chosen.lake:  # the server runs from the project folder: a relative lake is the caller's
            chosen = dataclasses.replace(chosen, lake=str(Path(chosen.lake).resolve()))
        env.update(settings.engine_env(chosen))
        where = (f"{chosen.label()}; joint work beside {env[db.ENV_VAR]}; "
                 "the rollups are built on Spark before the first visitor")
    print(f"CX Hub on http://{args.host}:{args.port} ({where}); Ctrl+C to stop", flush=True)
    # Run from the project folder so .streamlit/config.toml applies.
    child = subprocess.Popen(serve_command(args), env=env, cwd=APP.parent)

    def forward(signum, _frame):
        # Stopping cxhub stops the server with it: no Streamlit left running.
        if child.poll() is None:
            child.send_signal(signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)
    return child.wait()


class CliError(Exception):
    """A usage or data problem reported as one line and exit code 2."""


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    handlers = {"demo": cmd_demo, "kpis": cmd_kpis, "glossary": cmd_glossary, "import": cmd_import,
                "drivers": cmd_insight, "alerts": cmd_insight, "themes": cmd_insight, "lake": cmd_lake,
                "rejects": cmd_rejects, "access": cmd_access, "audit": cmd_audit,
                "pack": cmd_pack, "serve": cmd_serve}
    try:
        if hasattr(args, "db"):
            settings.apply(settings.load_display(access.config_path(db.resolve_db_path(args.db))))
        return handlers[args.command](args)
    except (CliError, UnknownValue, ValueError, db.NoDatabase) as exc:  # DemoRefused, AccessConfigError too
        print(f"cxhub {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (db.DatabaseError, workspace.WorkspaceError) as exc:
        print(f"cxhub {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_DATABASE


if __name__ == "__main__":
    sys.exit(main())
