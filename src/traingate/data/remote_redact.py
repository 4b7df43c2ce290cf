"""A URL as every message and report shows it (`redact`): a password in it, or a query parameter that signs it,
replaced by `***`, so no secret of a remote store's URL reaches an output. Light: a local run's inputs go through
it without loading any filesystem."""

from __future__ import annotations

import re

USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^/@:\s?#]*):(?P<secret>[^/@\s?#]*)@")
_SIGNED = re.compile(r"(?P<key>[?&](?:[\w.-]*(?:sig|signature|token|secret|password|credential|key)[\w.-]*|sv|se|sp))"
                     r"=(?P<value>[^&#\s'\"]*)", re.IGNORECASE)


def redact(text: str) -> str:
    """`text` with each URL's password and signing query parameters replaced by `***`."""
    text = USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)
    return _SIGNED.sub(lambda m: f"{m['key']}=***", text)
