"""One cache entry on disk: a header line (format version, key, payload length, layout, HMAC-SHA256 of key,
layout and payload) and the payload: a pickle of plain data, then the bytes of its arrays (pickle protocol 5
out-of-band buffers, each at a multiple of 64 bytes), which load in place: a state of 3 MB of row keys is not
copied out of the entry it is read in.

Unpickling runs code named in the payload, so an entry is trusted only when its HMAC matches one keyed by a
secret that is not in the cache directory (cache_files.secret_key: `TRAINGATE_CACHE_KEY` when it is set, a CI
secret, so that runners that restore one cache share it; else a file of this user's, `TRAINGATE_CACHE_KEY_FILE`
or `$XDG_CONFIG_HOME/traingate/cache.key`, 0600, made on first use). A cache directory copied from elsewhere
(restored in CI, unpacked from an archive) therefore carries no key of its own: its entries verify only under
the key they were written with. An entry is read back, and trusted or not, in cache_decode.py. A corrupt,
truncated, foreign or tampered entry raises `BadEntry`; the caller ignores it with a warning and folds again."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import pickle
from collections.abc import Callable
from typing import Any

FORMAT = 3  # the layout of an entry; another format is ignored (1: keyed by a secret in the directory; 2: arrays in the pickle)
ALIGN = 64  # each array's bytes start at a multiple of this in the payload
MAGIC = b"traingate-cache"
MAX_HEADER = 1 << 20  # an entry's first line (the label holds a path) is read up to this many bytes


class BadEntry(Exception):
    """An entry that must not be trusted: why, in words."""


def entry_mac(key: bytes, entry_key: str, payload: bytes | memoryview, layout: list[list[int]] | None = None) -> str:
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
              "hmac": entry_mac(key, entry_key, payload, layout), "label": label}
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
