"""The ledger: one DSSE envelope per line, each a signed promotion statement naming the sha256 of the line
before it (64 zeros for the first). The head is the sha256 of the last line. Appends hold an exclusive
lock (`fcntl`) on `<ledger>.lock` from reading the head to the record's fsync."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from traingate.errors import OutputError, TraingateError
from traingate.release.dsse import Opened, SignatureProblem, canonical, open_envelope, verify
from traingate.release.signers import RELEASE_NAMESPACE, Signer
from traingate.release.statements import PROMOTION_PREDICATE

GENESIS = "0" * 64


class LedgerError(TraingateError):
    """The ledger is missing or cannot be extended (exit 3)."""


@dataclass(frozen=True)
class Record:
    line: int
    hash: str
    predicate: dict[str, Any]
    time: datetime
    signer: str | None = None  # the trusted principal, when signatures were verified


@dataclass
class LedgerCheck:
    records: list[Record] = field(default_factory=list)  # those that verified, in order
    bad_line: int | None = None
    kind: str = ""  # corrupt line, broken link, out of order, unsigned, untrusted key, bad signature, wrong approver,
    # empty, head
    reason: str = ""

    @property
    def head(self) -> str:
        return self.records[-1].hash if self.records else GENESIS

    @property
    def intact(self) -> bool:
        return self.bad_line is None and not self.kind


def _lines(path: Path) -> list[bytes]:
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise LedgerError(f"{path} is not a ledger: not a regular file")
        lines = path.read_bytes().split(b"\n")
    except FileNotFoundError:
        raise LedgerError(f"no ledger at {path}; a ledger is made by the first `traingate promote`") from None
    except OSError as exc:
        raise LedgerError(f"cannot read the ledger {path}: {exc.strerror or exc}") from None
    lines = lines[:-1] if lines[-1] == b"" else lines
    return [line.removesuffix(b"\r") for line in lines]  # a checkout with CRLF line ends holds the same records


def verify_ledger(path: Path, trust: list[Signer] | None = None, head: str | None = None) -> LedgerCheck:
    """Every line an envelope of a promotion statement linked to the line before; with `trust`, each signed
    by an allowed signer; with `head`, the chain ending there. Stops at the first record that fails."""
    check = LedgerCheck()
    lines = _lines(path)
    for number, line in enumerate(lines, start=1):
        try:
            record = _record(number, line, check.head, trust)
            if check.records and record.time < check.records[-1].time:
                raise SignatureProblem("out of order", f"it is dated {record.time.isoformat()}, before the record "
                                                       f"before it ({check.records[-1].time.isoformat()})")
            check.records.append(record)
        except SignatureProblem as exc:
            check.bad_line, check.kind, check.reason = number, exc.kind, str(exc)
            return check
    if not lines:
        check.kind, check.reason = "empty", "the ledger holds no record (truncated?)"
    elif head is not None:
        _pin(check, head.strip().lower())
    return check


def _record(number: int, line: bytes, previous: str, trust: list[Signer] | None) -> Record:
    try:
        opened = open_envelope(json.loads(line.decode("utf-8")))
    except (ValueError, RecursionError) as exc:
        raise SignatureProblem("corrupt line", f"not a JSON record ({exc})") from None
    except SignatureProblem as exc:
        raise SignatureProblem("corrupt line", str(exc)) from None
    predicate = opened.statement.get("predicate")
    if opened.statement.get("predicateType") != PROMOTION_PREDICATE or not isinstance(predicate, dict):
        raise SignatureProblem("corrupt line", f"its statement is not a promotion ({PROMOTION_PREDICATE})")
    try:
        time = datetime.fromisoformat(str(predicate.get("time")))
    except ValueError:
        raise SignatureProblem("corrupt line", "its statement has no time") from None
    time = time if time.tzinfo else time.replace(tzinfo=UTC)
    if predicate.get("previous") != previous:
        raise SignatureProblem("broken link", f"it names {str(predicate.get('previous'))[:16]}... as the record "
                                              f"before it, but that record's hash is {previous[:16]}... "
                                              "(a record was removed, inserted or rewritten)")
    signer = None if trust is None else approving(opened, trust, time, str(predicate.get("approver"))).principals
    return Record(number, hashlib.sha256(line).hexdigest(), predicate, time, signer)


def approving(opened: Opened, trust: list[Signer], time: datetime, approver: str) -> Signer:
    """The trusted signer of a promotion, which must name its approver among the key's principals."""
    lines = verify(opened, trust, time, RELEASE_NAMESPACE)
    named = [line for line in lines if line.names(approver)]
    if not named:
        raise SignatureProblem("wrong approver", f"it names {approver!r} as approver, but is signed by the key of "
                                                 f"{', '.join(line.principals for line in lines)} ({lines[0].where})")
    return named[0]


def _pin(check: LedgerCheck, head: str) -> None:
    hashes = [r.hash for r in check.records]
    if hashes[-1] == head:
        return
    check.kind = "head"
    if head in hashes:
        after = len(hashes) - hashes.index(head) - 1
        check.reason = f"the chain goes on for {after} record(s) after the pinned head {head[:16]}..."
    else:
        check.reason = (f"the pinned head {head[:16]}... is not in the chain, which ends at {hashes[-1][:16]}... "
                        "(records were removed or rewritten)")


@contextlib.contextmanager
def locked(ledger: Path) -> Iterator[None]:
    """Hold the ledger's exclusive lock; a second promote waits here."""
    lock = ledger.with_name(ledger.name + ".lock")
    try:
        descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OutputError(f"cannot lock the ledger ({lock}): {exc.strerror or exc}") from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def append(ledger: Path, record: dict[str, Any]) -> str:
    """Append an envelope as one line, in place (under `locked`, after the ledger verified): the file keeps
    its owner, mode and hard links, and the line is on disk (fsync) before this returns the new head. A
    crash in the middle of the write can leave the line cut short, which `ledger` reports as a corrupt
    last line and nothing follows."""
    line = canonical(record)
    try:
        with open(ledger, "ab") as stream:
            if stream.tell() and _last_byte(ledger) != b"\n":
                stream.write(b"\n")
            stream.write(line + b"\n")
            stream.flush()
            os.fsync(stream.fileno())
    except OSError as exc:
        raise OutputError(f"cannot write {ledger}: {exc.strerror or exc}") from None
    return hashlib.sha256(line).hexdigest()


def _last_byte(path: Path) -> bytes:
    with open(path, "rb") as stream:
        stream.seek(-1, os.SEEK_END)
        return stream.read(1)
