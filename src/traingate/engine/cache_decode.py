"""Reading a cache entry back (its format: cache_entry.py): its header, key, length and array layout checked,
its HMAC matched, then its payload loaded through an unpickler that resolves only classes of modules already
imported (traingate's own, numpy's arrays, dtypes and scalars, a few of the standard library's; it never imports
a module, so no module's import-time code runs, `__main__` never) and the functions pickle rebuilds arrays with,
never a function such as os.system. Anything else raises `BadEntry`."""

from __future__ import annotations

import hmac
import io
import pickle
import sys
from collections.abc import Callable
from typing import Any

from traingate.engine.cache_entry import FORMAT, MAX_HEADER, BadEntry, entry_mac, parse_header
from traingate.errors import TraingateError

_BUILTINS = {"set", "frozenset", "dict", "list", "tuple", "bytearray", "bytes", "complex", "slice", "range",
             "int", "float", "str", "bool", "object"}
_MODULES = ("traingate", "numpy", "collections", "datetime", "decimal", "fractions", "array", "uuid", "enum")
# the functions pickle itself names to rebuild arrays and objects (every other global must be a class)
_REBUILDERS = {("copyreg", "_reconstructor"), ("numpy.core.multiarray", "_reconstruct"),
               ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
               ("numpy._core.multiarray", "scalar"), ("numpy.core.numeric", "_frombuffer"),
               ("numpy._core.numeric", "_frombuffer"), ("_codecs", "encode")}


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
    if not hmac.compare_digest(str(header.get("hmac", "")).encode(), entry_mac(key, entry_key, payload, layout).encode()):
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
