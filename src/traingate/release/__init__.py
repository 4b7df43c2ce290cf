"""Release sign-off: signed runs (`validate --key`), promotion into a signed, hash-chained, locked
ledger, and verification against an allowed-signers file. See docs/signing.md for the threat model."""

from traingate.release.keys import SigningError, load_signing_key
from traingate.release.ledger import LedgerCheck, LedgerError, verify_ledger
from traingate.release.promotion import Promotion, promote
from traingate.release.runs import PromotionRefused, sign_run
from traingate.release.signers import read_allowed_signers
from traingate.release.statements import run_statement

__all__ = ["LedgerCheck", "LedgerError", "Promotion", "PromotionRefused", "SigningError", "load_signing_key",
           "promote", "read_allowed_signers", "run_statement", "sign_run", "verify_ledger"]
