"""A remote store's failure as a SourceError that names the URL redacted and the fix (the credentials to give, the
deadline that passed, the object that changed after it was listed), never the store's traceback or its secrets."""

from __future__ import annotations

import re

from traingate.data.remote_redact import redact
from traingate.data.remote_requests import NoAnswer, request_seconds
from traingate.errors import SourceError

HINTS = {"s3": "for S3: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or an instance role; "
              "FSSPEC_S3_ANON=true for a public bucket",
         "gs": "for GCS: GOOGLE_APPLICATION_CREDENTIALS or `gcloud auth application-default login`",
         "az": "for Azure: AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT_NAME with "
               "AZURE_STORAGE_ACCOUNT_KEY or a signed-in identity",
         "hf": "for the Hugging Face hub: HF_TOKEN or `hf auth login`"}
ALIASES = {"s3a": "s3", "gcs": "gs", "abfs": "az", "abfss": "az", "adl": "az"}


def credentials_hint(url: str) -> str:
    protocol = url.split("://", 1)[0].lower()
    how = HINTS.get(ALIASES.get(protocol, protocol), "its environment variables or configuration file")
    return f"give credentials the filesystem's standard way ({how})"


def failure(url: str, exc: BaseException, doing: str) -> SourceError:
    """A store's error as a SourceError naming the URL (redacted) and the fix; never its secrets."""
    shown, detail = redact(url), redact(f"{type(exc).__name__}: {exc}".rstrip(": "))
    if type(exc).__name__ == "FileExpired":  # fsspec's: a read made conditional on the etag found another
        return changed(url, str(getattr(exc, "e_tag", None) or "?").strip('"'))
    if type(exc).__name__ == "FSTimeoutError" or isinstance(exc, NoAnswer):
        seconds = exc.seconds if isinstance(exc, NoAnswer) else request_seconds()
        return SourceError(f"{shown}: {doing}: no answer from the store in {seconds:.4g} s "
                           "(TRAINGATE_REMOTE_TIMEOUT); check the endpoint (AWS_ENDPOINT_URL, FSSPEC_<PROTOCOL>_...) "
                           "and the network")
    if isinstance(exc, FileNotFoundError):
        return SourceError(f"{shown}: no such object, prefix or bucket ({detail}); check the URL")
    if isinstance(exc, PermissionError) or re.search(r"credential|denied|forbidden|unauthori[sz]ed|403|401",
                                                      detail, re.IGNORECASE):
        return SourceError(f"{shown}: access denied or no credentials ({detail}); {credentials_hint(url)}")
    return SourceError(f"{shown}: {doing} ({detail}); check the URL and the network, and {credentials_hint(url)}")


def changed(url: str, listed: str, now: str | None = None) -> SourceError:
    now_text = f" (etag {now}, listed {listed})" if now else f" (listed with etag {listed})"
    return SourceError(f"{redact(url)}: the object changed after it was listed{now_text}; run again once it "
                       "is no longer being written")


def resized(url: str, listed: int, now: int) -> SourceError:
    """The object's look-up gives its listed etag and another size (a gateway answering without a length):
    never read as an object of that size."""
    return SourceError(f"{redact(url)}: the store gives it {now} bytes where the listing gave {listed}; run again, "
                       "and check any gateway before the store")
