"""One cache entry on disk: a header line (format version, key, payload length, layout, HMAC-SHA256 of key,
layout and payload) and the payload: a pickle of plain data, then the bytes of its arrays (pickle protocol 5
out-of-band buffers, each at a multiple of 64 bytes), which load in place: a state of 3 MB of row keys is not
copied out of the entry it is read in.

Unpickling runs code named in the payload, so an entry is trusted only when its HMAC matches one keyed by a
secret that is not in the cache directory (cache_files.secret_key: `TRAINGATE_CACHE_KEY` when it is set, a CI
secret, so that runners that restore one cache share it; else a file of this user's, `TRAINGATE_CACHE_KEY_FILE`
or `$XDG_CONFIG_HOME/traingate/cache.key`, 0600, made on first use). A cache directory copied from elsewhere
(restored in CI, unpacked from an archive) therefore carries no key of its own: its entries verify only under
the key they were written with. On top of that the payload loads through an unpickler that resolves only
classes of modules already imported (traingate's own, numpy's arrays, dtypes and scalars, a few of the standard
library's; it never imports a module, so no module's import-time code runs, `__main__` never) and the functions
pickle rebuilds arrays with, never a function such as os.system. A corrupt, truncated, foreign or tampered
entry raises `BadEntry`; the caller ignores it with a warning and folds again."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import pickle
import sys
from collections.abc import Callable
from typing import Any

from traingate.errors import TraingateError

FORMAT = 3  # the layout of an entry; another format is ignored (1: keyed by a secret in the directory; 2: arrays in the pickle)
ALIGN = 64  # each array's bytes start at a multiple of this in the payload
MAGIC = b"traingate-cache"
MAX_HEADER = 1 << 20  # an entry's first line (the label holds a path) is read up to this many bytes
_BUILTINS = {"set", "frozenset", "dict", "list", "tuple", "bytearray", "bytes", "complex", "slice", "range",
             "int", "float", "str", "bool", "object"}
_MODULES = ("traingate", "numpy", "collections", "datetime", "decimal", "fractions", "array", "uuid", "enum")
# the functions pickle itself names to rebuild arrays and objects (every other global must be a class)
_REBUILDERS = {("copyreg", "_reconstructor"), ("numpy.core.multiarray", "_reconstruct"),
               ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
               ("numpy._core.multiarray", "scalar"), ("numpy.core.numeric", "_frombuffer"),
               ("numpy._core.numeric", "_frombuffer"), ("_codecs", "encode")}


class BadEntry(Exception):
    """An entry that must not be trusted: why, in words."""


def _mac(key: bytes, entry_key: str, payload: bytes | memoryview, layout: list[list[int]] | None = None) -> str:
    """HMAC-SHA256 of the key, a NUL, the layout of the arrays (JSON), a NUL and the payload (fed in parts: a
    payload of tens of MB is not copied). The layout is signed with the bytes: no slice of them can be handed
    to the unpickler as another array."""
    mac = hmac.new(key, entry_key.encode() + b"\0" + json.dumps(layout or []).encode() + b"\0", hashlib.sha256)
    mac.update(payload)
    return mac.hexdigest()


def encode(key: bytes, entry_key: str, value: Any, label: str = "",
           persistent_id: Callable[[Any], Any] | None = None) -> bytes:
    """`label` says what the entry holds (file and part) for `traingate cache list`; it is not trusted.
    `persistent_id`: what stands in the payload for an object kept outside it (cache_spill.Keeper)."""
    out, arrays = io.BytesIO(), list[pickle.PickleBuffer]()
    pickler = pickle.Pickler(out, protocol=5, buffer_callback=arrays.append)
    if persistent_id is not None:
        pickler.persistent_id = persistent_id  # type: ignore[method-assign]
    pickler.dump(value)
    parts: list[bytes | memoryview] = [out.getvalue()]
    layout, at = [], len(parts[0])
    for array in arrays:
        raw = array.raw()
        parts.append(bytes(-at % ALIGN))
        at += len(parts[-1])
        layout.append([at, raw.nbytes])
        parts.append(raw)
        at += raw.nbytes
    payload = b"".join(parts)
    header = {"format": FORMAT, "key": entry_key, "bytes": len(payload), "layout": layout,
              "hmac": _mac(key, entry_key, payload, layout), "label": label}
    line = MAGIC + b" " + json.dumps(header, sort_keys=True).encode()
    return line + b" " * (-(len(line) + 1) % ALIGN) + b"\n" + payload  # the payload starts aligned as well


def header_of(blob: bytes) -> tuple[dict[str, Any], bytes]:
    """The entry's header and payload, untrusted."""
    header, start = parse_header(blob)
    return header, blob[start:]


def parse_header(blob: bytes | bytearray) -> tuple[dict[str, Any], int]:
    """The entry's header, untrusted, and where its payload starts (the payload is not copied)."""
    end = blob.find(b"\n")
    if end < 0 or not blob.startswith(MAGIC + b" "):  # no line end in MAX_HEADER bytes read: not an entry
        raise BadEntry("not a traingate cache entry")
    try:
        header = json.loads(blob[len(MAGIC) + 1:end])
    except (ValueError, RecursionError) as exc:  # RecursionError: a header of thousands of nested brackets
        raise BadEntry("its header is not JSON") from exc
    if not isinstance(header, dict):
        raise BadEntry("its header is not an object")
    return header, end + 1


def decode(key: bytes, entry_key: str, blob: bytes | bytearray | memoryview,
           persistent_load: Callable[[Any], Any] | None = None) -> Any:
    """The entry's value, once its header and HMAC hold. `persistent_load`: what an object kept outside the
    payload is rebuilt with (cache_spill.Restorer; without it such a payload does not load). The arrays are
    views of `blob`'s bytes: writable when it is writable (read_entry's)."""
    header, start = parse_header(_first_line(blob))
    payload = memoryview(blob)[start:]
    if header.get("format") != FORMAT:
        raise BadEntry(f"format {header.get('format')!r}, not {FORMAT}")
    if header.get("key") != entry_key:
        raise BadEntry("it holds another key")
    if header.get("bytes") != len(payload):
        raise BadEntry(f"truncated: {len(payload)} of {header.get('bytes')} bytes")
    layout = _layout(header.get("layout", []), len(payload))
    if not hmac.compare_digest(str(header.get("hmac", "")).encode(), _mac(key, entry_key, payload, layout).encode()):
        raise BadEntry("its checksum does not match (changed after it was written, or by another secret)")
    try:
        pickled = io.BytesIO(payload[: layout[0][0] if layout else len(payload)])  # the pickle alone is copied
        unpickler = _Restricted(pickled, buffers=[payload[at: at + size] for at, size in layout])
        if persistent_load is not None:
            unpickler.persistent_load = persistent_load  # type: ignore[method-assign]
        return unpickler.load()
    except (BadEntry, TraingateError):  # a spill folder that cannot be written (SpillError) stops the run
        raise
    except (Exception, SystemExit) as exc:
        raise BadEntry(f"its payload does not load: {type(exc).__name__}: {exc}") from exc


def _first_line(blob: bytes | bytearray | memoryview) -> bytes | bytearray:
    """The entry's bytes up to the end of its header line (at most MAX_HEADER), the payload not copied."""
    if not isinstance(blob, memoryview):
        return blob
    head = b""
    for size in (1 << 16, MAX_HEADER):
        head = bytes(blob[:size])
        if b"\n" in head or size >= len(blob):
            break
    return head


def _layout(given: Any, length: int) -> list[list[int]]:
    """The arrays' [offset, length] pairs, each inside the payload; BadEntry for anything else."""
    if not isinstance(given, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(type(n) is int and n >= 0 for n in p) and p[0] + p[1] <= length
            for p in given):
        raise BadEntry("its layout is not a list of arrays inside the payload")
    return given


class _Restricted(pickle.Unpickler):
    """Resolves the classes of the modules check states are made of and the functions pickle rebuilds arrays
    with, nothing else (no os.system, no numpy.load), and only from modules already imported: resolving a name
    never imports a module (whose import-time code would run: `traingate.__main__` starts the command line)."""

    def find_class(self, module: str, name: str) -> Any:
        if module not in sys.modules or "__main__" in module.split("."):
            raise BadEntry(f"it names {module}.{name}, of a module this run has not imported")
        if (module, name) in _REBUILDERS or (module == "builtins" and name in _BUILTINS):
            return super().find_class(module, name)
        if module.split(".")[0] in _MODULES:
            found = super().find_class(module, name)
            if isinstance(found, type) and _plain(found):
                return found
        raise BadEntry(f"it names {module}.{name}, which no check state holds")


def _plain(found: type) -> bool:
    """Not a class whose making touches a file: of numpy's, arrays, dtypes and scalars only (numpy.memmap, an
    array too, creates or truncates the file it names)."""
    if found.__module__.split(".")[0] != "numpy":
        return True
    import numpy as np

    return found is np.ndarray or issubclass(found, (np.dtype, np.generic))
