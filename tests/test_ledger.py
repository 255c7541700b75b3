"""The decision ledger on both backends: chain, tamper detection, concurrency, CLI."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from crossgate.ledger import (
    GENESIS_HASH,
    DuplicateDecisionError,
    Ledger,
    LedgerEntry,
    LedgerError,
    LedgerNotFoundError,
    SqliteLedger,
    canonical_json,
    compute_hash,
    open_ledger,
    verify_export,
)
from crossgate.ledger.commands import app as ledger_cli
from crossgate.ledger.records import format_timestamp
from tests.postgres import postgres_server, postgres_url  # noqa: F401  (pytest fixtures)

THREADS = 8
PER_THREAD = 50
PROCESSES = 2
PER_PROCESS = 50


def entry(
    n: int,
    system: str = "sys-a",
    outcome: str = "allow",
    recorded_at: str | None = None,
    prefix: str = "dec",
) -> LedgerEntry:
    return LedgerEntry(
        decision_id=f"{prefix}-{n:04d}",
        system_id=system,
        gate="deployment",
        outcome=outcome,
        policy_revision="p" * 64,
        data_revision="d" * 64,
        input={"gate": "deployment", "system": {"id": system, "risk_tier": "HIGH"}, "n": n},
        output={"allow": outcome == "allow", "note": f"ok-{n:04d} café ✓", "violations": []},
        recorded_at=recorded_at,
    )


@dataclass
class Backend:
    name: str
    target: str  # SQLite file path or PostgreSQL URL
    open: Callable[[], Ledger]
    raw: Callable[[list[str]], None]  # run SQL directly, append-only triggers removed
    fetch: Callable[[str], list[tuple[Any, ...]]]
    param: str  # "?" or "%s"
    table: str


def sqlite_backend(path: Path) -> Backend:
    def raw(statements: list[str]) -> None:
        conn = sqlite3.connect(path)
        try:
            conn.execute("DROP TRIGGER IF EXISTS ledger_no_update")
            conn.execute("DROP TRIGGER IF EXISTS ledger_no_delete")
            for statement in statements:
                conn.execute(statement)
            conn.commit()
        finally:
            conn.close()

    def fetch(sql: str) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(path)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    return Backend("sqlite", str(path), lambda: SqliteLedger(path), raw, fetch, "?", "ledger")


def postgres_backend(url: str) -> Backend:
    import psycopg

    from crossgate.ledger.postgresql import PostgresLedger

    def raw(statements: list[str]) -> None:
        with psycopg.connect(url) as conn:
            conn.execute("ALTER TABLE crossgate_ledger DISABLE TRIGGER USER")
            for statement in statements:
                conn.execute(statement)

    def fetch(sql: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(url) as conn:
            return conn.execute(sql).fetchall()

    return Backend("postgres", url, lambda: PostgresLedger(url), raw, fetch, "%s", "crossgate_ledger")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "sqlite":
        return sqlite_backend(tmp_path / "ledger.sqlite")
    return postgres_backend(request.getfixturevalue("postgres_url"))


@pytest.fixture
def ledger(backend: Backend) -> Iterator[Ledger]:
    opened = backend.open()
    yield opened
    opened.close()


def fill(ledger: Ledger, count: int) -> None:
    for n in range(1, count + 1):
        ledger.append(entry(n, outcome="deny" if n % 3 == 0 else "allow"))


# --- records and the hash rule -------------------------------------------------------------


def test_hash_rule_is_pinned() -> None:
    """The canonical form and hash of a known record; changing either breaks every ledger."""
    record = LedgerEntry(
        decision_id="dec-1",
        system_id="support-summarizer",
        gate="deployment",
        outcome="deny",
        policy_revision="p1",
        data_revision="d1",
        input={"note": "café ✓", "gate": "deployment"},
        output={"violations": [{"code": "missing_evidence"}], "allow": False},
        recorded_at="2026-11-02T11:00:00+01:00",
    ).seal(1, GENESIS_HASH)
    text = (
        '{"data_revision":"d1","decision_id":"dec-1","gate":"deployment",'
        '"input":{"gate":"deployment","note":"café ✓"},"kind":"decision","outcome":"deny",'
        '"output":{"allow":false,"violations":[{"code":"missing_evidence"}]},'
        '"policy_revision":"p1","prev_hash":"' + "0" * 64 + '",'
        '"recorded_at":"2026-11-02T10:00:00.000000Z","seq":1,"system_id":"support-summarizer"}'
    )
    assert canonical_json(record.hashed_fields()) == text
    assert record.hash == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert record.hash == "dedc30a32022b934c5c8be9318e729c36422804915cc43bdc7bfe0458d160747"
    assert compute_hash(record.to_dict()) == record.hash  # "hash" itself is left out


def test_entries_are_validated_and_normalised() -> None:
    odd_keys: Any = {2: (1, 2), 10: "x"}
    sealed = LedgerEntry("d", "s", "deployment", "allow", None, None, odd_keys, {}).seal(1, GENESIS_HASH)
    assert sealed.input == {"10": "x", "2": [1, 2]}  # what a verifier will parse back
    with pytest.raises(LedgerError, match="outcome"):
        LedgerEntry("d", "s", "deployment", "maybe", None, None, {}, {}).seal(1, GENESIS_HASH)
    with pytest.raises(LedgerError, match="JSON"):
        LedgerEntry("d", "s", "deployment", "allow", None, None, {"x": float("nan")}, {}).seal(1, "0")
    with pytest.raises(LedgerError, match="JSON object"):
        LedgerEntry("d", "s", "deployment", "allow", None, None, [], {}).seal(1, "0")  # type: ignore[arg-type]
    with pytest.raises(LedgerError, match="decision_id"):
        LedgerEntry("", "s", "deployment", "allow", None, None, {}, {}).seal(1, "0")
    assert format_timestamp("2026-01-01") == "2026-01-01T00:00:00.000000Z"


def test_open_ledger_chooses_the_backend(tmp_path: Path) -> None:
    with open_ledger(None, tmp_path) as ledger:
        assert isinstance(ledger, SqliteLedger)
        assert ledger.path == tmp_path / "ledger.sqlite"
    with open_ledger(f"sqlite:///{tmp_path}/other.sqlite", tmp_path) as other:
        assert isinstance(other, SqliteLedger)
        assert other.path == tmp_path / "other.sqlite"
    with pytest.raises(LedgerError, match="unsupported"):
        open_ledger("mysql://x/y", tmp_path)
    with pytest.raises(LedgerNotFoundError):
        open_ledger(None, tmp_path / "nowhere", create=False)
    assert not (tmp_path / "nowhere" / "ledger.sqlite").exists()


@pytest.mark.postgres
def test_open_ledger_postgres(postgres_url: str, tmp_path: Path) -> None:  # noqa: F811
    from crossgate.ledger.postgresql import PostgresLedger

    with pytest.raises(LedgerNotFoundError):
        open_ledger(postgres_url, tmp_path, create=False)
    for url in (postgres_url, postgres_url.replace("postgresql://", "postgres://")):
        ledger = open_ledger(url, tmp_path)
        assert isinstance(ledger, PostgresLedger)
        ledger.close()


# --- both backends -------------------------------------------------------------------------


def test_append_and_read_back(ledger: Ledger) -> None:
    assert ledger.head() is None
    results = [ledger.append(entry(n)) for n in (1, 2, 3)]
    assert [r.seq for r in results] == [1, 2, 3]
    seq, digest = results[-1]
    assert (seq, digest) == ledger.head()

    record = ledger.get("dec-0002")
    assert record is not None
    assert record.seq == 2
    assert record.kind == "decision"
    assert record.input == {"gate": "deployment", "system": {"id": "sys-a", "risk_tier": "HIGH"}, "n": 2}
    assert record.output["note"] == "ok-0002 café ✓"
    assert record.prev_hash == results[0].hash
    assert record.hash == results[1].hash == compute_hash(record.hashed_fields())
    assert record.recorded_at.endswith("Z") and len(record.recorded_at) == 27
    assert ledger.get("dec-0001").prev_hash == GENESIS_HASH  # type: ignore[union-attr]
    assert ledger.get("nope") is None
    assert [r.seq for r in ledger.iter_all()] == [1, 2, 3]


def test_duplicate_decision_id_is_refused(ledger: Ledger) -> None:
    ledger.append(entry(1))
    with pytest.raises(DuplicateDecisionError):
        ledger.append(entry(1))
    assert ledger.append(entry(2)).seq == 2
    assert ledger.verify().ok


def test_list_with_filters(ledger: Ledger) -> None:
    for n in range(1, 11):
        ledger.append(
            entry(
                n,
                system="sys-a" if n % 2 else "sys-b",
                outcome="deny" if n % 3 == 0 else "allow",
                recorded_at=f"2026-11-{n:02d}T12:00:00Z",
            )
        )
    assert [r.seq for r in ledger.list()] == list(range(10, 0, -1))  # newest first
    assert [r.seq for r in ledger.list(system="sys-a")] == [9, 7, 5, 3, 1]
    assert [r.seq for r in ledger.list(outcome="deny")] == [9, 6, 3]
    assert [r.seq for r in ledger.list(system="sys-b", outcome="deny")] == [6]
    assert [r.seq for r in ledger.list(since="2026-11-04T12:00:00Z", until="2026-11-07")] == [6, 5, 4]
    assert [r.seq for r in ledger.list(since="2026-11-08T13:00:00+01:00")] == [10, 9, 8]
    assert [r.seq for r in ledger.list(limit=3, offset=2)] == [8, 7, 6]
    assert ledger.list(system="nobody") == []
    assert ledger.count() == 10
    assert ledger.count(system="sys-b") == 5
    assert ledger.count(outcome="deny", since="2026-11-05") == 2
    with pytest.raises(ValueError):
        ledger.list(limit=-1)


def test_verify_ok(ledger: Ledger) -> None:
    empty = ledger.verify()
    assert (empty.ok, empty.count, empty.first_bad_seq, empty.head_hash) == (True, 0, None, None)
    fill(ledger, 12)
    result = ledger.verify()
    assert result.ok and result.count == 12 and result.reason is None
    assert result.head_hash == ledger.head().hash  # type: ignore[union-attr]
    assert result.as_dict() == {
        "ok": True,
        "count": 12,
        "first_bad_seq": None,
        "reason": None,
        "head_hash": result.head_hash,
    }


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda text: text.replace("ok-0003", "ok-0008"), "hash mismatch"),  # one byte of a value
        (lambda text: text.replace('"allow":', '"allow": ', 1), "canonical"),  # one byte of space
        (lambda text: text[:-1], "not valid JSON"),  # last byte removed
    ],
    ids=["value", "whitespace", "truncated-json"],
)
def test_edited_output_is_detected(
    backend: Backend, ledger: Ledger, edit: Callable[[str], str], reason: str
) -> None:
    fill(ledger, 6)
    [(text,)] = backend.fetch(f"SELECT output FROM {backend.table} WHERE seq = 3")
    edited = edit(text)
    assert edited != text
    literal = edited.replace("'", "''")
    backend.raw([f"UPDATE {backend.table} SET output = '{literal}' WHERE seq = 3"])
    result = ledger.verify()
    assert not result.ok
    assert result.first_bad_seq == 3
    assert result.count == 2
    assert reason in (result.reason or "")


def test_edit_with_recomputed_hash_breaks_the_next_link(backend: Backend, ledger: Ledger) -> None:
    """An attacker who rewrites a record and its own hash is caught by the next record."""
    fill(ledger, 6)
    record = ledger.get("dec-0003")
    assert record is not None
    fields = record.hashed_fields()
    fields["outcome"] = "allow" if record.outcome == "deny" else "deny"
    forged = compute_hash(fields)
    backend.raw(
        [f"UPDATE {backend.table} SET outcome = '{fields['outcome']}', hash = '{forged}' WHERE seq = 3"]
    )
    result = ledger.verify()
    assert (result.ok, result.first_bad_seq) == (False, 4)
    assert "broken link" in (result.reason or "")


def test_get_checked_checks_one_record_and_its_place(backend: Backend, ledger: Ledger) -> None:
    """What replay relies on: the record's own hash, and seq/prev_hash against its neighbours."""
    fill(ledger, 6)

    def check(n: int) -> tuple[bool, bool, str | None]:
        found = ledger.get_checked(f"dec-{n:04d}")
        assert found is not None
        record, result = found
        assert record.seq == result.seq == n
        return result.hash, result.chain, result.failed

    assert all(check(n) == (True, True, None) for n in range(1, 7))
    assert ledger.get_checked("nope") is None
    backend.raw([f"UPDATE {backend.table} SET outcome = 'allow' WHERE seq = 3"])
    assert check(3) == (False, True, "hash")
    assert check(2) == check(4) == (True, True, None)
    # Rewritten with its own hash recomputed: the hash holds, the chain around it does not.
    record = ledger.get("dec-0005")
    assert record is not None
    fields = record.hashed_fields()
    fields["outcome"] = "deny" if record.outcome == "allow" else "allow"
    backend.raw([f"UPDATE {backend.table} SET outcome = '{fields['outcome']}', "
                 f"hash = '{compute_hash(fields)}' WHERE seq = 5"])
    assert check(5) == (True, False, "chain")
    assert check(6) == (True, False, "chain")
    # A deleted record breaks the place of both neighbours.
    backend.raw([f"DELETE FROM {backend.table} WHERE seq = 2"])
    assert check(1) == (True, False, "chain")
    found = ledger.get_checked("dec-0003")
    assert found is not None and found[1].failed == "hash"  # the first failure is named
    assert found[1].chain is False


def test_deleted_middle_record_is_detected(backend: Backend, ledger: Ledger) -> None:
    fill(ledger, 10)
    backend.raw([f"DELETE FROM {backend.table} WHERE seq = 5"])
    result = ledger.verify()
    assert (result.ok, result.first_bad_seq, result.count) == (False, 6, 4)
    assert "seq 5 is missing" in (result.reason or "")


def test_deleted_and_renumbered_is_detected(backend: Backend, ledger: Ledger) -> None:
    fill(ledger, 10)
    backend.raw(
        [f"DELETE FROM {backend.table} WHERE seq = 5"]
        + [f"UPDATE {backend.table} SET seq = {n - 1} WHERE seq = {n}" for n in range(6, 11)]
    )
    result = ledger.verify()
    assert (result.ok, result.first_bad_seq) == (False, 5)


def test_deleted_first_record_is_detected(backend: Backend, ledger: Ledger) -> None:
    fill(ledger, 3)
    backend.raw([f"DELETE FROM {backend.table} WHERE seq = 1"])
    assert ledger.verify().first_bad_seq == 2


def test_swapped_records_are_detected(backend: Backend, ledger: Ledger) -> None:
    fill(ledger, 10)
    t = backend.table
    backend.raw(
        [
            f"UPDATE {t} SET seq = -1 WHERE seq = 4",
            f"UPDATE {t} SET seq = 4 WHERE seq = 7",
            f"UPDATE {t} SET seq = 7 WHERE seq = -1",
        ]
    )
    result = ledger.verify()
    assert (result.ok, result.first_bad_seq, result.count) == (False, 4, 3)
    assert "does not belong here" in (result.reason or "")


def test_truncation_needs_an_anchor(backend: Backend, ledger: Ledger) -> None:
    fill(ledger, 10)
    anchor = ledger.head()
    assert anchor is not None
    assert ledger.verify(anchor=tuple(anchor)).ok  # type: ignore[arg-type]
    backend.raw([f"DELETE FROM {backend.table} WHERE seq > 8"])
    assert ledger.verify().ok  # the documented limit: dropping the newest records is invisible
    result = ledger.verify(anchor=(anchor.seq, anchor.hash))
    assert (result.ok, result.first_bad_seq) == (False, 9)
    assert "truncated" in (result.reason or "")


def test_the_table_refuses_updates_and_deletes(backend: Backend, ledger: Ledger) -> None:
    fill(ledger, 2)
    for statement in (f"UPDATE {backend.table} SET outcome = 'allow'", f"DELETE FROM {backend.table}"):
        with pytest.raises(Exception, match="append-only"):
            if backend.name == "sqlite":
                with sqlite3.connect(backend.target) as conn:
                    conn.execute(statement)
            else:
                import psycopg

                with psycopg.connect(backend.target) as conn:
                    conn.execute(statement)
    assert ledger.verify().count == 2


def test_reopen_keeps_the_chain(backend: Backend) -> None:
    first = backend.open()
    fill(first, 3)
    head = first.head()
    first.close()
    with pytest.raises(LedgerError, match="closed"):
        first.append(entry(99))

    second = backend.open()
    try:
        assert second.head() == head
        assert second.append(entry(4)).seq == 4
        assert second.get("dec-0004").prev_hash == head.hash  # type: ignore[union-attr]
        result = second.verify()
        assert result.ok and result.count == 4
    finally:
        second.close()


def _append_many(ledger: Ledger, prefix: str, count: int, barrier: threading.Barrier | None) -> None:
    if barrier is not None:
        barrier.wait(timeout=30)
    for n in range(count):
        ledger.append(entry(n, system=prefix, prefix=prefix))


def _process_worker(path: str, prefix: str, count: int, start: Any) -> None:
    """Runs in a spawned process: its own SqliteLedger on the same file."""
    start.wait(30)
    ledger = SqliteLedger(path)
    try:
        _append_many(ledger, prefix, count, None)
    finally:
        ledger.close()


def test_concurrent_appends(backend: Backend) -> None:
    ledgers = [backend.open()]
    if backend.name == "postgres":
        ledgers.append(backend.open())  # two pools, as two API processes would have
    processes = []
    start = None
    if backend.name == "sqlite":
        ctx = multiprocessing.get_context("spawn")  # no fork() of a threaded process
        start = ctx.Event()
        processes = [
            ctx.Process(target=_process_worker, args=(backend.target, f"proc{p}", PER_PROCESS, start))
            for p in range(PROCESSES)
        ]
        for process in processes:
            process.start()
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            _append_many(ledgers[i % len(ledgers)], f"thread{i}", PER_THREAD, barrier)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    if start is not None:
        start.set()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for process in processes:
        process.join(timeout=120)
    assert not errors, errors
    assert all(process.exitcode == 0 for process in processes)

    expected = THREADS * PER_THREAD + (PROCESSES * PER_PROCESS if processes else 0)
    ledger = ledgers[0]
    records = list(ledger.iter_all())
    assert [r.seq for r in records] == list(range(1, expected + 1))
    ids = {r.decision_id for r in records}
    want = {f"thread{i}-{n:04d}" for i in range(THREADS) for n in range(PER_THREAD)}
    if processes:
        want |= {f"proc{p}-{n:04d}" for p in range(PROCESSES) for n in range(PER_PROCESS)}
    assert ids == want  # nothing lost, nothing doubled
    result = ledger.verify()
    assert result.ok and result.count == expected
    for opened in ledgers:
        opened.close()


# --- command line and exports ---------------------------------------------------------------


def test_cli_verify_and_export(backend: Backend, ledger: Ledger, tmp_path: Path) -> None:
    fill(ledger, 5)
    runner = CliRunner()
    if backend.name == "sqlite":
        env = {"CROSSGATE_DATA_DIR": str(Path(backend.target).parent), "CROSSGATE_LEDGER_URL": ""}
    else:
        env = {"CROSSGATE_DATA_DIR": str(tmp_path / "unused"), "CROSSGATE_LEDGER_URL": backend.target}

    ok = runner.invoke(ledger_cli, ["verify"], env=env)
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.strip() == "ledger ok: 5 records"

    out = tmp_path / "export" / "ledger.jsonl"
    exported = runner.invoke(ledger_cli, ["export", "--out", str(out)], env=env)
    assert exported.exit_code == 0, exported.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [1, 2, 3, 4, 5]
    assert lines[0] == ledger.get("dec-0001").to_json()  # type: ignore[union-attr]
    assert verify_export(out).ok
    head = runner.invoke(ledger_cli, ["head"], env=env)
    assert head.stdout.strip() == f"5:{ledger.head().hash}"  # type: ignore[union-attr]
    from_file = runner.invoke(ledger_cli, ["verify", "--file", str(out), "--anchor", head.stdout.strip()])
    assert from_file.exit_code == 0 and "ledger ok: 5 records" in from_file.stdout

    # Hand verification of the export, as docs/ledger.md shows it.
    prev = GENESIS_HASH
    for line in lines:
        record = json.loads(line)
        digest = record.pop("hash")
        assert record["prev_hash"] == prev
        assert hashlib.sha256(canonical_json(record).encode()).hexdigest() == digest
        prev = digest

    backend.raw([f"UPDATE {backend.table} SET system_id = 'sys-z' WHERE seq = 2"])
    broken = runner.invoke(ledger_cli, ["verify"], env=env)
    assert broken.exit_code == 1
    assert broken.stdout.startswith("ledger BROKEN at seq 2: hash mismatch")

    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("\n".join([lines[0], lines[2], lines[1], *lines[3:]]) + "\n", encoding="utf-8")
    result = runner.invoke(ledger_cli, ["verify", "--file", str(tampered)])
    assert result.exit_code == 1 and "BROKEN at seq 3" in result.stdout
    tampered.write_text("\n".join([*lines[:3], "{oops"]) + "\n", encoding="utf-8")
    result = runner.invoke(ledger_cli, ["verify", "--file", str(tampered)])
    assert result.exit_code == 1 and "BROKEN at seq 4: line 4 is unreadable" in result.stdout


def test_cli_missing_ledger(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        ledger_cli, ["verify", "--data-dir", str(tmp_path / "empty")], env={"CROSSGATE_LEDGER_URL": ""}
    )
    assert result.exit_code == 2
    assert "no ledger" in result.output
    assert not (tmp_path / "empty").exists()
