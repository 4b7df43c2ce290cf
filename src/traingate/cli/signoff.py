"""Sign-off commands: promote a run into the ledger, verify the ledger, export a run's attestation.
Registered on the app in cli/app.py; the work is in traingate.release."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from traingate.cli.consoles import escape, out
from traingate.cli.errors import fail, say
from traingate.cli.outputs import guard, inputs_of
from traingate.cli.workflow import RunPath, _load, _write
from traingate.reports.sanitize import printable
from traingate.results.gate import ExitCode

if TYPE_CHECKING:
    from traingate.release.keys import SigningKey
    from traingate.release.signers import Signer

KeyPath = Annotated[Path | None, typer.Option("--key", help="Sign with this OpenSSH Ed25519 private key "
                                                             "(passphrase from $TRAINGATE_KEY_PASSPHRASE).")]
TrustPath = Annotated[Path | None, typer.Option("--trust", help="An allowed-signers file (git's format: "
                                                                 "`principal ssh-ed25519 AAAA...`).")]


def _safe(text: str) -> str:
    """Rich markup escaped; controls, bidi and invisible characters made visible."""
    return escape(printable(text))


def signing_key(path: Path | None) -> SigningKey | None:
    if path is None:  # cryptography loads only for a run that is signed
        return None
    from traingate.release import load_signing_key

    return load_signing_key(path)


def _trusted(path: Path | None) -> list[Signer] | None:
    from traingate.release import read_allowed_signers

    return None if path is None else read_allowed_signers(path)


def promote(run: RunPath,
            approver: Annotated[str, typer.Option(help="Who signs the release off.")],
            ledger: Annotated[Path, typer.Option(help="The append-only ledger file.")] = Path("traingate-ledger.jsonl"),
            note: Annotated[str | None, typer.Option(help="Why, or what for.")] = None,
            override: Annotated[str | None, typer.Option(help="Promote a failed run anyway, for this reason.")] = None,
            key: KeyPath = None, trust: TrustPath = None,
            contract: Annotated[Path | None, typer.Option(help="Refuse a run of any other contract (this file's "
                                                                "sha256 must be the run's).")] = None) -> None:
    """Sign a run off into the ledger. Refused (exit 1): a failed gate without --override, a limited or
    sampled run, changed data, an edited run; with --trust, an unsigned run or one signed by a key the
    file does not trust. A damaged ledger, a key that does not load: exit 3."""
    from traingate.release import PromotionRefused
    from traingate.release import promote as sign

    guard([("--ledger", ledger)], inputs_of([run, *(p for p in (key, trust, contract) if p)]))
    loaded = _load(run)
    guard([("--ledger", ledger)], inputs_of(info.absolute_path or info.path for info in loaded.dataset.files))
    signer, trusted = signing_key(key), _trusted(trust)
    try:
        done = sign(loaded, ledger, approver, note=note, override=override, key=signer, trust=trusted, contract=contract)
    except PromotionRefused as exc:
        raise fail(exc, "[red]refused:[/]", int(ExitCode.GATE_FAILED)) from exc
    out.print(_safe(f"promoted run {done.run_id} ({done.verdict}) by {approver}; {done.integrity}; record "
                    + (f"signed by {done.signed_by}" if done.signed_by else "unsigned (no --key)")), highlight=False)
    out.print(f"head {done.head}", highlight=False)


def ledger(path: Annotated[Path, typer.Argument(help="The ledger file.")] = Path("traingate-ledger.jsonl"),
           trust: TrustPath = None,
           head: Annotated[str | None, typer.Option(help="The sha256 the chain must end at (kept elsewhere: a "
                                                          "git tag, a CI variable, a release note).")] = None) -> None:
    """List the ledger's records and verify them: the hash chain, with --trust every signature, with --head
    the last record. The last line is `head <sha256>`. Exit 1 naming the first bad record; 3 when missing."""
    from traingate.release import verify_ledger

    check = verify_ledger(path, _trusted(trust), head)
    for record in check.records:
        p = record.predicate
        contract = p["contract"] if isinstance(p.get("contract"), dict) else {}
        line = (f"{p.get('time', '')}  {contract.get('name')} {contract.get('version')}  run {p.get('run_id')}  "
                f"{p.get('verdict')}  by {p.get('approver')}"
                + (f"  override: {p['override']}" if p.get("override") else "")
                + (f"  note: {p['note']}" if p.get("note") else "")
                + (f"  record signed by {record.signer}" if record.signer else ""))
        out.print(_safe(line), highlight=False)
        out.print("    run: " + _safe(str(p.get("integrity", "integrity not recorded"))), highlight=False)
    if not check.intact:
        where = f"record {check.bad_line} ({path}:{check.bad_line})" if check.bad_line else str(path)
        say("[red]ledger does not verify:[/]", [f"{where}: {check.kind}: {check.reason}"])
        raise typer.Exit(int(ExitCode.GATE_FAILED))
    scope = f"every signature trusted by {trust}" if trust else "signatures not verified (pass --trust ALLOWED_SIGNERS)"
    out.print(_safe(f"{len(check.records)} record(s), chain intact; {scope}"
                    + ("; ends at the pinned head" if head else "")), highlight=False)
    out.print(f"head {check.head}", highlight=False)


def attestation(run: RunPath,
                output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here (default: stdout).")] = None,
                key: KeyPath = None) -> None:
    """The run's DSSE envelope (an in-toto Statement v1) as one JSON line, for cosign and in-toto tools.
    A run signed by validate --key gives its own envelope; --key signs (or re-signs) it now."""
    from traingate.release import PromotionRefused, sign_run
    from traingate.release.dsse import canonical
    from traingate.release.runs import check_integrity

    guard([("--output", output)], inputs_of([run, *([key] if key else [])]))
    loaded = _load(run)
    signer = signing_key(key)
    if signer is not None:
        loaded = sign_run(loaded, signer)
    elif loaded.attestation is None:
        say("[red]error:[/]", [f"{run} is not signed: pass --key KEY, or sign at validate --key"])
        raise typer.Exit(int(ExitCode.ERROR))
    else:
        try:
            check_integrity(loaded, None)  # an envelope the run no longer matches is not exported as its own
        except PromotionRefused as exc:
            raise fail(exc, code=int(ExitCode.ERROR)) from exc
    _write(canonical(loaded.attestation).decode() + "\n", output)
