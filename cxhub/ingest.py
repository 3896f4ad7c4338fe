"""Imports that follow the data contract.

DuckDB's own readers parse the file (CSV with any common delimiter, quotes,
BOM, gzip; Parquet; JSON lines). Every value is then checked against the
rules declared in cxhub/contract.py, in SQL. A row that breaks a rule is
kept in rejected_rows with its line, column, rule and original values; the
good rows are upserted by key. Everything a file changes happens in one
transaction, on a copy of the database that replaces the original only when
the load has finished (see db.writing), so a failed or killed import leaves
the database exactly as it was.
"""

from __future__ import annotations

import bisect
import gzip
import hashlib
import os
import tempfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from cxhub import access, audit, contract, rollups, workspace
from cxhub.contract import number_text
from cxhub.db import DatabaseError, is_disk_full, reading, transaction, utc_now, writing

IMPORT_MEMORY = "1GB"
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")
PARQUET_SUFFIXES = (".parquet", ".pq")

TYPE_SQL = {
    "text": "VARCHAR", "date": "DATE", "timestamp": "TIMESTAMP", "boolean": "BOOLEAN",
    "integer": "BIGINT", "number": "DOUBLE", "decimal": f"DECIMAL(18,{contract.DECIMAL_PLACES})",
}
TYPE_WORDS = {
    "text": "text", "date": "a date (YYYY-MM-DD)", "timestamp": "an ISO 8601 timestamp",
    "boolean": "true/false, 1/0 or yes/no", "integer": "a whole number", "number": "a number",
    "decimal": "a decimal number",
}


class ImportRefused(Exception):
    """The file cannot be imported at all; nothing was loaded."""


@dataclass
class ImportResult:
    table: str
    source: str
    checksum: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_replaced: int = 0
    rows_rejected: int = 0
    outcome: str = "loaded"  # loaded | partial | refused | dry-run
    message: str = ""
    extra_columns: list[str] = field(default_factory=list)
    top_reasons: list[tuple[str, str, int]] = field(default_factory=list)  # (column, rule, rows)
    import_id: int | None = None
    # (import_id, table, source, line, column, rule, value, original) of the first rejected rows
    rejected_sample: list[tuple] = field(default_factory=list)

    def summary(self) -> str:
        """What the CLI and the Data page say about one file."""
        if self.outcome == "refused":
            return f"{self.source}: REFUSED, nothing loaded. {self.message}"
        verb = "would load" if self.outcome == "dry-run" else "loaded"
        new = self.rows_loaded - self.rows_replaced
        lines = [f"{self.source} -> {self.table}: read {self.rows_read:,}, {verb} {self.rows_loaded:,} "
                 f"({new:,} new, {self.rows_replaced:,} replaced), rejected {self.rows_rejected:,}"]
        for column, rule, n in self.top_reasons:
            lines.append(f"  {n:,} row(s): {column or '(row)'}: {rule}")
        if self.extra_columns:
            lines.append(f"  ignored extra columns: {', '.join(self.extra_columns)}")
        return "\n".join(lines)


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_gzip(path: Path, source: str) -> None:
    """A truncated gzip file decompresses to a plausible prefix: refuse it
    rather than load part of an export."""
    try:
        with gzip.open(path, "rb") as f:
            while f.read(1 << 22):
                pass
    except (EOFError, OSError, zlib.error) as exc:
        raise ImportRefused(f"{source}: the gzip file is truncated or corrupt ({exc}); nothing was loaded") from None


def _check_content(path: Path, source: str) -> None:
    """Refuse, with the real reason, a file that is not what its name says:
    not Parquet, UTF-16 text, or binary data where text is expected."""
    kind = _kind(path)
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as f:
        head = f.read(4096)
    if kind == "parquet":
        if not head.startswith(b"PAR1"):
            raise ImportRefused(f"{source}: not a Parquet file (it does not start with PAR1); nothing was loaded")
        return
    # UTF-16 text has a byte-order mark, or a NUL byte beside every ASCII letter.
    nuls = head.count(b"\x00")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or nuls > len(head) // 3:
        raise ImportRefused(f"{source}: the file is UTF-16 encoded; save it as UTF-8 (e.g. 'CSV UTF-8') and "
                            "import it again; nothing was loaded")
    if nuls:
        raise ImportRefused(f"{source}: the file holds binary data, not {'JSON lines' if kind == 'json' else 'CSV'} "
                            "text; nothing was loaded")


@contextmanager
def _literal(path: Path):
    """A path DuckDB reads as that one file. DuckDB expands *, ? and [ in a
    file name as a pattern; such a file is read through a link with a plain name."""
    if not any(ch in str(path) for ch in "*?["):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="cxhub-import-") as folder:
        suffixes = "".join(path.suffixes[-2:]) if path.name.lower().endswith(".gz") else path.suffix
        link = Path(folder) / f"file{suffixes.lower()}"
        os.symlink(path.resolve(), link)
        yield link


def _kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(JSON_SUFFIXES):
        return "json"
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    raise ImportRefused(
        f"{path}: unknown file type; expected .csv/.tsv/.txt, .parquet or .jsonl/.ndjson (optionally .gz)"
    )


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _reader(path: Path, kind: str, sniff: bool = False, json_keys: list[str] | None = None) -> str:
    """The DuckDB table function that reads the file (sniff: for its header only).
    JSON lines are read with every key as JSON, so a nested value can be told
    from a scalar and a string is read without its quotes."""
    p = _quote(str(path))
    if kind == "parquet":
        return f"read_parquet({p})"
    if kind == "json":
        if json_keys:
            columns = ", ".join(f"{_quote(k)}: 'JSON'" for k in json_keys)
            return f"read_json({p}, format = 'newline_delimited', columns = {{{columns}}})"
        return f"read_json({p}, format = 'newline_delimited')"
    # Every CSV value is read as text: type errors become rejected rows, not a
    # failed file. Malformed lines go to DuckDB's reject tables.
    if sniff:
        return f"read_csv({p}, all_varchar = true, header = true, ignore_errors = true)"
    return (f"read_csv({p}, all_varchar = true, header = true, store_rejects = true, "
            f"rejects_table = 'cx_reject_errors', rejects_scan = 'cx_reject_scans')")


def _typed(column: contract.Column, raw: str) -> str:
    """The SQL value of a raw text column, NULL when it does not parse."""
    if column.type == "boolean":
        return (f"CASE lower({raw}) WHEN 'true' THEN true WHEN '1' THEN true WHEN 'yes' THEN true "
                f"WHEN 'false' THEN false WHEN '0' THEN false WHEN 'no' THEN false END")
    if column.type == "timestamp":
        # Offsets and Z are honoured; the session time zone is UTC, so a
        # timestamp without offset is taken as UTC.
        return f"(TRY_CAST({raw} AS TIMESTAMPTZ) AT TIME ZONE 'UTC')"
    if column.type == "date":
        return f"TRY_CAST({raw} AS DATE)"
    if column.type == "text":
        return raw
    if column.type == "integer":
        # TRY_CAST would round 4.5 to 5: a whole number must look like one.
        return f"CASE WHEN regexp_full_match({raw}, '[+-]?[0-9]+(\\.0*)?') THEN TRY_CAST(TRY_CAST({raw} AS DOUBLE) AS BIGINT) END"
    return f"TRY_CAST({raw} AS {TYPE_SQL[column.type]})"


def _not_finite(raw: str) -> str:
    """True when the text is NaN or an infinity in any spelling DuckDB reads."""
    number = f"TRY_CAST({raw} AS DOUBLE)"
    return f"coalesce(isnan({number}) OR isinf({number}), false)"


def _checks(table: contract.Table, known_kpis: list[str], touchpoints: list[str],
            latest: datetime) -> list[tuple[str, str, str]]:
    """(column, rule words, SQL condition true when the row breaks the rule).
    The words start with the rule's name (contract.RULES). `latest` is the
    last plausible moment: the import's own time plus a day."""
    out = []
    for c in table.columns:
        raw, val = f"r_{c.name}", f"v_{c.name}"
        if c.required:
            out.append((c.name, "required: the value is empty", f"{raw} IS NULL"))
        numeric = c.type in ("integer", "number", "decimal")
        # NaN and infinities break not_finite alone, not also type or range.
        finite = f"NOT {_not_finite(raw)} AND " if numeric else ""
        if numeric:
            out.append((c.name, "not_finite: NaN and infinities are not numbers",
                        f"{raw} IS NOT NULL AND {_not_finite(raw)}"))
        if c.type != "text":
            out.append((c.name, f"type: expected {TYPE_WORDS[c.type]}", f"{finite}{raw} IS NOT NULL AND {val} IS NULL"))
        if c.type in ("date", "timestamp"):
            low = f"DATE '{contract.EARLIEST_DATE}'" if c.type == "date" else f"TIMESTAMP '{contract.EARLIEST_DATE}'"
            high = (f"DATE '{latest.date()}'" if c.type == "date"
                    else f"TIMESTAMP '{latest.strftime('%Y-%m-%d %H:%M:%S.%f')}'")
            out.append((c.name, f"date_range: must lie between {contract.EARLIEST_DATE} and {latest:%Y-%m-%d %H:%M} UTC "
                                "(one day after the import)", f"{val} < {low} OR {val} > {high}"))
        if c.type == "decimal":
            # Stored exactly: a value with more places than the column keeps is refused, never rounded.
            wide = f"TRY_CAST({raw} AS DECIMAL(38,18))"
            places = contract.DECIMAL_PLACES
            out.append((c.name, f"precision: at most {places} decimal places",
                        f"{raw} IS NOT NULL AND ({wide} <> CAST({wide} AS DECIMAL(38,{places})) "
                        f"OR regexp_matches({raw}, '\\.[0-9]{{{places}}}[0-9]*[1-9]'))"))
        if c.minimum is not None and c.maximum is not None:
            out.append((c.name, f"range: must be between {number_text(c.minimum)}..{number_text(c.maximum)}",
                        f"{finite}({val} < {c.minimum} OR {val} > {c.maximum})"))
        elif c.minimum is not None:
            out.append((c.name, f"range: must be >= {c.minimum:g}", f"{finite}{val} < {c.minimum}"))
        if c.allowed:
            values = ", ".join(_quote(v) for v in c.allowed)
            out.append((c.name, f"allowed: must be one of {', '.join(c.allowed)}", f"{val} NOT IN ({values})"))
        if c.pattern:
            out.append((c.name, "format: a lower-case slug (a-z, 0-9, _), at most 40 characters",
                        f"NOT regexp_full_match({val}, {_quote(c.pattern)})"))
        if c.references == contract.TOUCHPOINT_REF:
            # Touchpoints are few: the known ids go into the query as a list.
            known = "[" + ", ".join(_quote(t) for t in touchpoints) + "]::VARCHAR[]"
            out.append((c.name, "reference: unknown touchpoint_id (load touchpoints first)",
                        f"{val} IS NOT NULL AND NOT list_contains({known}, {val})"))
        if c.references == contract.KPI_REF:
            values = ", ".join(_quote(k) for k in known_kpis)
            out.append((c.name, "reference: unknown kpi_id (see the glossary)", f"{val} NOT IN ({values})"))
    if table.at_least_one_of:
        cond = " AND ".join(f"r_{c} IS NULL" for c in table.at_least_one_of)
        out.append(("", f"row: at least one of {', '.join(table.at_least_one_of)} is required", cond))
    return out


def load_file(con: duckdb.DuckDBPyConnection, table_name: str, path: str | Path, dry_run: bool = False,
              source_name: str | None = None) -> ImportResult:
    """Validate one file against the contract and upsert its good rows into
    `table_name`, in one transaction. Returns what happened; raises nothing
    for bad data (a refused file is outcome 'refused' and changes nothing but
    the import log). `con` must be writable unless dry_run."""
    table = contract.table(table_name)
    path = Path(path)
    source = source_name or str(path)
    result = ImportResult(table.name, source)
    started = utc_now()
    cur = con.cursor()
    try:
        if not path.is_file():
            raise ImportRefused(f"{source}: no such file")
        if path.stat().st_size == 0:
            raise ImportRefused(f"{source}: the file is empty (expected a header line with the column names)")
        try:
            result.checksum = file_checksum(path)
        except OSError as exc:
            raise ImportRefused(f"{source}: the file cannot be read ({exc.strerror}); nothing was loaded") from None
        if path.name.lower().endswith(".gz"):
            _check_gzip(path, source)
        _check_content(path, source)
        # A dry run does everything a load does, then rolls it back.
        with transaction(con, commit=not dry_run) as tx:
            tx.execute("SET TimeZone = 'UTC'")
            # Staged rows spill to disk past this, so a large file does not need
            # memory in proportion to its size.
            tx.execute(f"SET memory_limit = '{IMPORT_MEMORY}'")
            with _literal(path) as readable:
                _validate_and_load(tx, table, readable, source, result, dry_run)
            if dry_run:
                result.outcome = "dry-run"
                return result
            # In the load's transaction: a failed load leaves the rollups as they were. Only what
            # the file touched is refreshed.
            touched = tx.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND temporary",
                                 [TOUCHED]).fetchall()[0][0]
            try:
                rollups.refresh(tx, table.name, touched=TOUCHED if touched else None)
            except duckdb.Error as exc:  # the file was fine: the database could not take it
                raise DatabaseError(f"{source}: the file was read, but refreshing the rollups failed "
                                    f"({str(exc).splitlines()[0]}); nothing was changed") from exc
            tx.execute(f"DROP TABLE IF EXISTS {TOUCHED}")
            result.outcome = "loaded" if result.rows_rejected == 0 else "partial"
            _log(tx, result, started)
    except (ImportRefused, duckdb.Error) as exc:
        if isinstance(exc, duckdb.Error) and not _about_the_file(exc, path):
            raise  # the database, the disk or the machine failed: not the file's fault (see db.writing)
        result.outcome = "refused"
        result.message = str(exc) if isinstance(exc, ImportRefused) else _explain(source, exc)
        result.rows_loaded = result.rows_replaced = result.rows_rejected = 0
        if not dry_run:
            _log(cur, result, started)
    finally:
        cur.close()
    return result


def import_file(db_path: str | Path, table_name: str, path: str | Path, dry_run: bool = False,
                source_name: str | None = None, *, person: access.Person) -> ImportResult:
    """Import one file into the database at db_path, as the CLI and the Data
    page do, for a person whose role may import (admin; the CLI acts as its
    operating-system user). A dry run reads the database and writes nothing;
    a real import works on a copy that replaces the database when done
    (db.writing). Both, and a refusal, are recorded in the audit."""
    what = f"{'Checking' if dry_run else 'Importing'} {source_name or Path(path).name} into {table_name}"
    try:
        access.require(person, "administer", what)
    except access.AccessRefused as exc:
        with workspace.opened(workspace.path_for(db_path)) as ws:
            record_import(ws, person, None, table_name, "refused", str(exc), allowed=False)
        raise
    if dry_run:
        with reading(db_path) as con:
            return load_file(con, table_name, path, dry_run=True, source_name=source_name)
    with writing(db_path) as con:
        result = load_file(con, table_name, path, source_name=source_name)
    with workspace.opened(workspace.path_for(db_path)) as ws:
        record_import(ws, person, result.import_id, table_name, result.outcome, result.summary())
    return result


def record_import(ws, person: access.Person, import_id: int | None, table_name: str, outcome: str, detail: str,
                  allowed: bool = True) -> None:
    """One audit row for an import (or its refusal) in the workspace."""
    with workspace.transaction(ws):
        audit.record(ws, person, action="import" if allowed else "refused", entity="import", entity_id=import_id,
                     field=table_name, new=outcome, allowed=allowed, detail=detail)


def _about_the_file(exc: duckdb.Error, path: Path) -> bool:
    """Whether a DuckDB error is about the input file (a read or parse error,
    a value that does not convert) rather than the database or the disk."""
    if is_disk_full(exc) or isinstance(exc, (duckdb.BinderException, duckdb.CatalogException,
                                             duckdb.InternalException)):
        return False  # a fault of the disk or of CX Hub itself, whatever the file
    if isinstance(exc, duckdb.IOException):
        return str(path) in str(exc) or path.name in str(exc)
    return True


def _explain(source: str, exc: duckdb.Error) -> str:
    text = str(exc).split("\n")[0]
    return f"{source}: the file cannot be read ({text})"


def _log(cur, result: ImportResult, started) -> None:
    row = cur.execute(
        "INSERT INTO import_log (table_name, source, checksum, rows_read, rows_loaded, rows_replaced, "
        "rows_rejected, started_at, finished_at, outcome, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "RETURNING import_id",
        [result.table, result.source, result.checksum, result.rows_read, result.rows_loaded, result.rows_replaced,
         result.rows_rejected, started, utc_now(), result.outcome, result.message or None],
    ).fetchall()
    result.import_id = row[0][0]
    cur.execute("UPDATE rejected_rows SET import_id = ? WHERE import_id = -1", [result.import_id])


def _validate_and_load(cur, table: contract.Table, path: Path, source: str, result: ImportResult,
                       dry_run: bool) -> None:
    """The three steps of an import, inside the caller's transaction."""
    kind = _kind(path)
    for t in ("cx_typed", "cx_violations", "cx_dupes", "cx_reject_errors", "cx_reject_scans", TOUCHED):
        cur.execute(f"DROP TABLE IF EXISTS {t}")
    cur.execute("DROP VIEW IF EXISTS cx_rows")
    _read(cur, table, path, kind, source, result)
    _validate(cur, table, path, kind, source, result, dry_run)
    _load(cur, table, result, dry_run)
    cur.execute("DROP VIEW IF EXISTS cx_rows")
    for t in ("cx_typed", "cx_violations", "cx_dupes"):
        cur.execute(f"DROP TABLE IF EXISTS {t}")


def _read(cur, table: contract.Table, path: Path, kind: str, source: str, result: ImportResult) -> None:
    """Read: match the header to the contract, then stage every row once as
    text (r_) and as its contract type (v_) in cx_typed / cx_rows."""
    # The file's columns and types, without reading its rows.
    described = cur.execute(f"DESCRIBE SELECT * FROM {_reader(path, kind, sniff=True)}").fetchall()
    file_types = {r[0]: r[1] for r in described}
    file_columns = list(file_types)
    # Header names are matched exactly after trimming spaces and a BOM.
    by_name = {c.strip().lstrip("\ufeff"): c for c in file_columns}
    if len(file_columns) == 1 and len(table.columns) > 1 and table.required_columns[0] not in by_name:
        raise ImportRefused(
            f"{source}: found a single column {file_columns[0]!r}; expected columns "
            f"{', '.join(table.required_columns)} separated by a comma, semicolon, tab or pipe"
        )
    missing = [c for c in table.required_columns if c not in by_name]
    if missing:
        raise ImportRefused(
            f"{source}: missing required column {', '.join(missing)} (line 1, the header). Table "
            f"{table.name} needs: {', '.join(table.required_columns)}; the file has: {', '.join(by_name)}"
        )
    known = {c.name for c in table.columns}
    result.extra_columns = [c for c in by_name if c not in known]

    # One pass over the file: each column as text (r_) and as its contract
    # type (v_). A column a Parquet or JSON file already holds in the right
    # type is kept as is; its text form is derived only where needed.
    raw_cols, typed_cols, derived = [], [], []
    for c in table.columns:
        target = TYPE_SQL[c.type]
        name = by_name.get(c.name)
        if kind == "json":
            # Every JSON value is a scalar read like the same text in a CSV, or a
            # nested object/array, flagged n_ (rule not_scalar).
            j = _ident(name) if name else "NULL::JSON"
            text = f"CASE WHEN json_type({j}) IN ('OBJECT', 'ARRAY') THEN CAST({j} AS VARCHAR) ELSE {j}->>'$' END"
            raw = f"NULLIF(trim({text}), '')"
            raw_cols.append(f"{raw} AS r_{c.name}")
            raw_cols.append(f"coalesce(json_type({j}) IN ('OBJECT', 'ARRAY'), false) AS n_{c.name}")
            typed_cols.append(f"{raw} AS v_{c.name}" if c.type == "text" else f"{_typed(c, raw)} AS v_{c.name}")
        elif name is None:
            raw_cols.append(f"NULL::VARCHAR AS r_{c.name}")
            typed_cols.append(f"NULL::{target} AS v_{c.name}")
        elif file_types[name] == target and c.type != "text":
            typed_cols.append(f"{_ident(name)} AS v_{c.name}")
            derived.append(f"CAST(v_{c.name} AS VARCHAR) AS r_{c.name}")
        elif c.type == "text":  # text is its own typed value: store it once
            typed_cols.append(f"NULLIF(trim(CAST({_ident(name)} AS VARCHAR)), '') AS v_{c.name}")
            derived.append(f"v_{c.name} AS r_{c.name}")
        else:
            raw = f"NULLIF(trim(CAST({_ident(name)} AS VARCHAR)), '')"
            raw_cols.append(f"{raw} AS r_{c.name}")
            typed_cols.append(f"{_typed(c, raw)} AS v_{c.name}")
    cur.execute(
        f"CREATE TEMP TABLE cx_typed AS SELECT row_number() OVER () AS _ord, {', '.join(raw_cols + typed_cols)} "
        f"FROM {_reader(path, kind, json_keys=file_columns)}"
    )
    cur.execute(f"CREATE TEMP VIEW cx_rows AS SELECT *{''.join(', ' + d for d in derived)} FROM cx_typed")


def _validate(cur, table: contract.Table, path: Path, kind: str, source: str, result: ImportResult,
              dry_run: bool) -> None:
    """Validate: every rule of the contract on every staged row (cx_violations),
    duplicate keys, malformed lines; count and keep the rejected rows with
    their line, key, rule and original values."""
    from cxhub.kpis.catalog import KPIS  # the KPI ids are data; kpi_targets must name one

    touchpoints = [r[0] for r in cur.execute("SELECT touchpoint_id FROM touchpoints").fetchall()]
    latest = utc_now() + timedelta(days=contract.FUTURE_GRACE_DAYS)
    checks = _checks(table, list(KPIS), touchpoints, latest)
    if kind == "json":
        # A nested value breaks one rule, not_scalar; the column's other rules are not asked of it.
        checks = [(col, rule, f"NOT n_{col} AND ({cond})" if col else cond) for col, rule, cond in checks]
        checks += [(c.name, "not_scalar: a nested object or array, not a string, number, boolean or null",
                    f"n_{c.name}") for c in table.columns]
    entries = ", ".join(
        f"CASE WHEN {cond} THEN {{'column_name': {_quote(col)}, 'rule': {_quote(rule)}, "
        f"'value': {f'r_{col}' if col else 'NULL::VARCHAR'}}} END"
        for col, rule, cond in checks
    )
    cur.execute(
        f"CREATE TEMP TABLE cx_violations AS SELECT _ord, v.column_name, v.rule, v.value FROM "
        f"(SELECT _ord, unnest(list_filter([{entries}], lambda e: e IS NOT NULL)) AS v FROM cx_rows)"
    )
    # Duplicate keys in the file: the first occurrence loads, later ones are rejected.
    key = ", ".join(f"v_{k}" for k in table.key)
    cur.execute(f"CREATE TEMP TABLE cx_dupes AS SELECT {key} FROM cx_typed GROUP BY ALL HAVING count(*) > 1")
    if cur.execute("SELECT count(*) FROM cx_dupes").fetchall()[0][0]:
        match = " AND ".join(f"t.v_{k} IS NOT DISTINCT FROM d.v_{k}" for k in table.key)
        key_text = "concat_ws(', ', " + ", ".join(f"r_{k}" for k in table.key) + ")"
        cur.execute(
            f"INSERT INTO cx_violations SELECT _ord, {_quote(', '.join(table.key))}, "
            f"'duplicate key: the same key appears earlier in the file', key_text FROM ("
            f"SELECT t._ord, {key_text} AS key_text, row_number() OVER (PARTITION BY {', '.join('t.' + k for k in key.split(', '))} "
            f"ORDER BY t._ord) AS nth FROM cx_rows t JOIN cx_dupes d ON {match}) WHERE nth > 1"
        )

    parsed = cur.execute("SELECT count(*) FROM cx_typed").fetchall()[0][0]
    malformed = _malformed_lines(cur, kind)
    result.rows_read = parsed + len(malformed)
    bad_ords = cur.execute("SELECT count(DISTINCT _ord) FROM cx_violations").fetchall()[0][0]
    result.rows_rejected = bad_ords + len(malformed)
    result.rows_loaded = parsed - bad_ords

    reasons = cur.execute(
        "SELECT column_name, rule, count(DISTINCT _ord) AS n FROM cx_violations GROUP BY ALL ORDER BY n DESC"
    ).fetchall()
    kinds: dict[str, int] = {}
    for _, _, err, _ in malformed:
        kinds[err.split(":")[0]] = kinds.get(err.split(":")[0], 0) + 1
    reasons += [("", f"malformed line: {kind}", n) for kind, n in kinds.items()]
    # Every broken rule, most frequent first: a summary that leaves one out sends people hunting.
    result.top_reasons = [(c, r, n) for c, r, n in sorted(reasons, key=lambda x: -x[2])]

    if parsed == 0 and not malformed:
        raise ImportRefused(f"{source}: the file has {'a header but ' if kind == 'csv' else ''}no data rows; "
                            "nothing was loaded")

    # Rejected rows, with the line they came from, the row's key and all its original values.
    skipped = sorted(line for line, _, _, _ in malformed)
    originals = ", ".join(f"{_quote(c.name)}: r_{c.name}" for c in table.columns)
    key_text = "concat_ws(', ', " + ", ".join(f"t.r_{k}" for k in table.key) + ")"
    bad = cur.execute(
        f"SELECT v._ord, v.column_name, v.rule, v.value, to_json({{{originals}}})::VARCHAR, {key_text} "
        f"FROM cx_violations v JOIN cx_rows t USING (_ord) ORDER BY v._ord"
    ).fetchall()
    lines = _json_lines(path, {o for o, *_ in bad}) if kind == "json" else {}
    rows = [(-1, table.name, source, lines.get(o) if kind == "json" else o if kind == "parquet"
             else _line_of(o, skipped), col, rule, value, original, key or None)
            for o, col, rule, value, original, key in bad]
    rows += [(-1, table.name, source, line, col, "malformed line: " + err, None, text, None)
             for line, col, err, text in malformed]
    result.rejected_sample = rows[:200]
    if not dry_run:
        # Re-importing a file replaces its earlier rejects rather than adding a second copy.
        cur.execute("DELETE FROM rejected_rows WHERE table_name = ? AND source = ?", [table.name, source])
        if rows:
            cur.executemany("INSERT INTO rejected_rows (import_id, table_name, source, line, column_name, rule, "
                            "value, original, row_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)



def _load(cur, table: contract.Table, result: ImportResult, dry_run: bool) -> None:
    """Load: upsert the rows that broke no rule (a row whose key exists
    replaces it), noting what they touch for the rollups."""
    columns = ", ".join(c.name for c in table.columns)
    # A column's declared default fills its empty values (incidents: 0).
    values = ", ".join(
        f"coalesce(v_{c.name}, {c.default}) AS {c.name}" if c.default is not None else f"v_{c.name} AS {c.name}"
        for c in table.columns
    )
    good = f"SELECT {values} FROM cx_typed WHERE _ord NOT IN (SELECT _ord FROM cx_violations)"
    match = " AND ".join(f"t.{k} IS NOT DISTINCT FROM g.{k}" for k in table.key)
    existing = f"FROM {table.name} t WHERE EXISTS (SELECT 1 FROM ({good}) g WHERE {match})"
    target_empty = not cur.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table.name} LIMIT 1)").fetchall()[0][0]
    if target_empty:
        result.rows_replaced = 0
    elif dry_run:
        result.rows_replaced = cur.execute(f"SELECT count(*) {existing}").fetchall()[0][0]
    else:
        _record_touched(cur, table, good, existing)  # an empty table: its rollups are built whole
        result.rows_replaced = cur.execute(f"DELETE {existing}").fetchall()[0][0]
    if not dry_run:
        cur.execute(f"INSERT INTO {table.name} ({columns}) {good}")


# What an import touched, for the rollups to refresh only that: the
# customer and the day of every new row and of every row it replaces.
TOUCHED = "cx_touched"


def _record_touched(cur, table: contract.Table, good: str, existing: str) -> None:
    """Fill cx_touched (customer_id, d) before the rows are replaced, for a
    table that feeds a rollup."""
    if not any(table.name in r.sources for r in rollups.ROLLUPS):
        return

    def day(alias: str) -> str:
        return f"{alias}{table.date_column}::DATE" if table.date_column else "NULL::DATE"

    parts = [f"SELECT customer_id, {day('')} AS d FROM ({good})", f"SELECT t.customer_id, {day('t.')} {existing}"]
    cur.execute(f"CREATE OR REPLACE TEMP TABLE {TOUCHED} AS SELECT DISTINCT * FROM ({' UNION ALL '.join(parts)})")


def _malformed_lines(cur, kind: str) -> list[tuple[int, str, str, str]]:
    """Lines DuckDB's CSV reader could not parse: (line, column, error, text)."""
    if kind != "csv":
        return []
    # One entry per line, however many of its columns the reader complained about.
    rows = cur.execute(
        "SELECT line, string_agg(DISTINCT coalesce(column_name, ''), ', '), "
        "first(error_type || ': ' || error_message ORDER BY column_idx), first(csv_line) "
        "FROM cx_reject_errors GROUP BY line ORDER BY line"
    ).fetchall()
    return [(int(r[0]), r[1], r[2], r[3]) for r in rows]


def _json_lines(path: Path, ordinals: set[int]) -> dict[int, int]:
    """The file's own 1-based line numbers of the given JSON rows (blank lines
    hold no row, so the n-th row is not always on line n)."""
    if not ordinals:
        return {}
    found, nth = {}, 0
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as f:
        for number, line in enumerate(f, 1):
            if line.strip():
                nth += 1
                if nth in ordinals:
                    found[nth] = number
                    if len(found) == len(ordinals):
                        break
    return found


def _line_of(ordinal: int, skipped: list[int]) -> int:
    """The file line of the ordinal-th parsed row: the header is line 1, and
    malformed lines the reader skipped are counted back in."""
    line = ordinal + 1
    while True:
        shifted = ordinal + 1 + bisect.bisect_right(skipped, line)
        if shifted == line:
            return line
        line = shifted


def preview(path: str | Path, rows: int = 10):
    """The first rows of a file as its reader sees them (a small frame)."""
    path = Path(path)
    kind = _kind(path)
    reader = _reader(path, kind, sniff=True)
    with duckdb.connect() as con:
        return con.execute(f"SELECT * FROM {reader} LIMIT {int(rows)}").df()


def history(con: duckdb.DuckDBPyConnection, limit: int = 200):
    """The import log, newest first."""
    from cxhub.db import query_df

    return query_df(con, f"""
        SELECT import_id, table_name, source, outcome, rows_read, rows_loaded, rows_replaced, rows_rejected,
               started_at, finished_at, message
        FROM import_log ORDER BY import_id DESC LIMIT {int(limit)}
    """)


def rejects(con: duckdb.DuckDBPyConnection, table_name: str | None = None):
    """Rejected rows, newest import first, as a frame."""
    from cxhub.db import query_df

    where, params = "", []
    if table_name:
        contract.table(table_name)
        where, params = "WHERE r.table_name = ?", [table_name]
    return query_df(con, f"""
        SELECT r.import_id, l.finished_at AS imported_at, r.table_name, r.source, r.line, r.row_key,
               r.column_name, r.rule, r.value, r.original
        FROM rejected_rows r LEFT JOIN import_log l USING (import_id)
        {where}
        ORDER BY r.import_id DESC, r.line
    """, params)
