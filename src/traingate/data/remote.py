"""Remote data through fsspec: object stores (`s3://`, `gs://`, `az://`) and dataset hubs (`hf://datasets/...`).

Each filesystem finds its credentials its own standard way (environment variables, config files, instance
roles); traingate passes none. fsspec is imported only when a path is a URL, so a local run never loads it.
A URL is shown redacted everywhere (`redact`): a password in it, or a query parameter that signs it, never
reaches a message or a report. Files are opened with a bounded block size, and each read of a JSON lines
block or a Parquet column chunk is one ranged request. Redaction is in remote_redact.py, the bounds of a
request (block size, deadline) in remote_requests.py, a store's errors as SourceErrors in remote_errors.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from traingate.data.remote_errors import credentials_hint, failure
from traingate.data.remote_redact import USERINFO, redact
from traingate.data.remote_requests import NoAnswer, request_seconds, within
from traingate.errors import MissingDependencyError, SourceError

# The package each protocol needs, all in the `remote` extra (errors.EXTRAS).
PACKAGES = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs",
            "abfss": "adlfs", "adl": "adlfs", "hf": "huggingface_hub"}


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


def _listed(fs: Any, name: str, info: dict[str, Any], given: str | None = None) -> Listed:
    return Listed(given or fs.unstrip_protocol(name), int(info.get("size") or 0), etag_of(info),
                  _first(info, ("VersionId", "version_id", "generation")))


def list_objects(url: str, magic: bool) -> tuple[list[Listed], list[str]]:
    """The objects a URL names: itself, everything under it (a prefix, like a folder) or, with `magic`,
    its glob matches, sorted by URL; and the folders a glob matched. One listing gives sizes and etags."""
    if magic and USERINFO.search(url):  # the objects it matches could not carry them
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
