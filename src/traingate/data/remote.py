"""Remote data through fsspec: object stores (`s3://`, `gs://`, `az://`) and dataset hubs (`hf://datasets/...`).

Each filesystem finds its credentials its own standard way (environment variables, config files, instance
roles); traingate passes none. fsspec is imported only when a path is a URL, so a local run never loads it.
A URL is shown redacted everywhere (`redact`): a password in it, or a query parameter that signs it, never
reaches a message or a report. Files are opened with a bounded block size, and each read of a JSON lines
block or a Parquet column chunk is one ranged request."""

from __future__ import annotations

import math
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from traingate.errors import MissingDependencyError, SourceError, UsageError

# The package each protocol needs, all in the `remote` extra (errors.EXTRAS).
PACKAGES = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs",
            "abfss": "adlfs", "adl": "adlfs", "hf": "huggingface_hub"}
DEFAULT_BLOCK_BYTES = 4 << 20
DEFAULT_REQUEST_SECONDS = 120.0
HINTS = {"s3": "for S3: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or an instance role; "
              "FSSPEC_S3_ANON=true for a public bucket",
         "gs": "for GCS: GOOGLE_APPLICATION_CREDENTIALS or `gcloud auth application-default login`",
         "az": "for Azure: AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT_NAME with "
               "AZURE_STORAGE_ACCOUNT_KEY or a signed-in identity",
         "hf": "for the Hugging Face hub: HF_TOKEN or `hf auth login`"}
T = TypeVar("T")
ALIASES = {"s3a": "s3", "gcs": "gs", "abfs": "az", "abfss": "az", "adl": "az"}
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^/@:\s?#]*):(?P<secret>[^/@\s?#]*)@")
_SIGNED = re.compile(r"(?P<key>[?&](?:[\w.-]*(?:sig|signature|token|secret|password|credential|key)[\w.-]*|sv|se|sp))"
                     r"=(?P<value>[^&#\s'\"]*)", re.IGNORECASE)


def redact(text: str) -> str:
    """`text` with each URL's password and signing query parameters replaced by `***`."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)
    return _SIGNED.sub(lambda m: f"{m['key']}=***", text)


def block_bytes() -> int:
    """The bytes a remote file fetches per request beyond what a read asks: TRAINGATE_REMOTE_BLOCK_BYTES,
    default 4 MiB."""
    return max(1 << 16, int(os.environ.get("TRAINGATE_REMOTE_BLOCK_BYTES", DEFAULT_BLOCK_BYTES)))


def request_seconds() -> float:
    """How long a request to a store (listing a URL, opening an object; a read, beside one second per MB it
    asks for) may take before the run stops: TRAINGATE_REMOTE_TIMEOUT, default 120 s. An endpoint that
    accepts connections and never answers would otherwise hold the run for the store client's retries of its
    timeouts (an hour for S3's defaults). 0 is no deadline, as fsspec takes it; a negative, infinite or
    non-number value is a UsageError naming it."""
    raw = os.environ.get("TRAINGATE_REMOTE_TIMEOUT") or str(DEFAULT_REQUEST_SECONDS)
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not 0 <= seconds < math.inf:
        raise UsageError(f"TRAINGATE_REMOTE_TIMEOUT={raw!r}: not a number of seconds (0 for no deadline)")
    return seconds


def filesystem(url: str) -> tuple[Any, str]:
    """The fsspec filesystem of a URL and the path inside it; a missing package is MissingDependencyError
    (exit 3, `pip install 'traingate[remote]'`), raised before anything is read."""
    shown = redact(url)
    protocol = url.split("://", 1)[0].lower()
    try:
        import fsspec
    except ImportError:
        raise MissingDependencyError(f"reading {shown}", "remote", "fsspec") from None
    try:
        fsspec.get_filesystem_class(protocol)
    except ImportError as exc:
        if protocol in PACKAGES:
            raise MissingDependencyError(f"reading {shown}", "remote", PACKAGES[protocol]) from None
        raise SourceError(f"{shown}: the {protocol}:// filesystem cannot be loaded ({redact(str(exc))})") from None
    except ValueError:
        raise SourceError(f"{shown}: unknown protocol {protocol!r}; traingate reads local paths and s3://, gs://, "
                          "az:// and hf://datasets/ORG/NAME/... URLs (any protocol fsspec knows)") from None
    try:
        fs, inner = fsspec.core.url_to_fs(url)
    except Exception as exc:  # a filesystem that rejects its URL or cannot start
        raise failure(url, exc, "cannot be opened") from None
    return fs, str(inner)


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


class NoAnswer(TimeoutError):
    """A store client did not answer a request (a listing, an open, a read) within the deadline."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no answer in {seconds:.4g} s")
        self.seconds = seconds


def within(seconds: float, call: Callable[[], T]) -> T:
    """`call` in a daemon thread, given up after `seconds` (NoAnswer; 0 waits for it): a synchronous client
    (the hub's) takes no deadline, and one that never answers would hold the run. The abandoned thread ends
    with the process."""
    if not seconds:
        return call()
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # handed to the caller
            box["error"] = exc

    thread = threading.Thread(target=run, name="traingate-remote", daemon=True)
    thread.start()
    thread.join(min(seconds, threading.TIMEOUT_MAX))
    if thread.is_alive():
        raise NoAnswer(seconds)
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


@dataclass(frozen=True)
class Listed:
    """An object found under a URL: its URL, size, and the store's etag and version id where it gives them."""

    url: str
    size: int
    etag: str | None = None
    version: str | None = None


def _first(info: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = info.get(key)
        if value not in (None, ""):
            return str(value).strip('"')
    return None


def etag_of(info: dict[str, Any]) -> str | None:
    """The etag (or content checksum) a store gives an object's listing or look-up."""
    return _first(info, ("ETag", "etag", "e_tag", "blob_id", "md5Hash"))


def changed(url: str, listed: str, now: str | None = None) -> SourceError:
    now_text = f" (etag {now}, listed {listed})" if now else f" (listed with etag {listed})"
    return SourceError(f"{redact(url)}: the object changed after it was listed{now_text}; run again once it "
                       "is no longer being written")


def resized(url: str, listed: int, now: int) -> SourceError:
    """The object's look-up gives its listed etag and another size (a gateway answering without a length):
    never read as an object of that size."""
    return SourceError(f"{redact(url)}: the store gives it {now} bytes where the listing gave {listed}; run again, "
                       "and check any gateway before the store")


def _listed(fs: Any, name: str, info: dict[str, Any], given: str | None = None) -> Listed:
    return Listed(given or fs.unstrip_protocol(name), int(info.get("size") or 0), etag_of(info),
                  _first(info, ("VersionId", "version_id", "generation")))


def list_objects(url: str, magic: bool) -> tuple[list[Listed], list[str]]:
    """The objects a URL names: itself, everything under it (a prefix, like a folder) or, with `magic`,
    its glob matches, sorted by URL; and the folders a glob matched. One listing gives sizes and etags."""
    if magic and _USERINFO.search(url):  # the objects it matches could not carry them
        raise SourceError(f"{redact(url)}: a glob with credentials in its URL; {credentials_hint(url)}")
    fs, inner = filesystem(url)
    seconds = request_seconds()
    try:
        if getattr(fs, "async_impl", False):  # fsspec's own deadline
            found, one = _found(fs, inner, url, magic, {"timeout": seconds})
        else:
            found, one = within(seconds, lambda: _found(fs, inner, url, magic, {}))
    except NoAnswer as exc:
        raise failure(url, exc, "cannot be listed") from None
    if one is not None:
        return [one], []
    files = [_listed(fs, name, info) for name, info in sorted(found.items()) if info.get("type") != "directory"]
    folders = [fs.unstrip_protocol(name) for name, info in sorted(found.items()) if info.get("type") == "directory"]
    if not files and not folders:
        raise SourceError(f"{redact(url)}: no object matches" if magic else f"{redact(url)}: the prefix holds no objects")
    return files, folders


def _found(fs: Any, inner: str, url: str, magic: bool,
           bound: dict[str, Any]) -> tuple[dict[str, Any], Listed | None]:
    """What a listing finds (name -> info), or the one object the URL names."""
    try:
        if magic:
            return fs.glob(inner, detail=True, **bound), None
        info = fs.info(inner, **bound)
        if info.get("type") != "directory":
            return {}, _listed(fs, inner, info, url)
        return fs.find(inner, detail=True, **bound), None
    except Exception as exc:
        raise failure(url, exc, "cannot be listed") from None
