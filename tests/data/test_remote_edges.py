"""Remote listings and reads at their edges: folder markers a console or Hadoop leaves under a prefix, keys
whose names hold `?`, an object replaced after it was listed, an endpoint that never answers, a Parquet
object whose footer cannot be read when it is cut into row groups."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


from tests.conftest import contract_text
from tests.data.remote_fixtures import BUCKET, s3, s3_server
from traingate.contracts import parse_contract
from traingate.data.sources import resolve_all
from traingate.engine.runner import validate

__all__ = ["s3", "s3_server"]
BODY = b"".join(json.dumps({"text": f"row {i}"}).encode() + b"\n" for i in range(10))


def _contract(tmp_path: Path) -> Any:
    return parse_contract(contract_text("pretraining", "  quantity:\n    - {type: min_rows, min: 1}\n"),
                          str(tmp_path / "c.yaml"))


def test_folder_markers_under_a_prefix_or_glob_are_skipped(tmp_path: Path, s3: Any) -> None:
    """The S3 console's `folder/` and Hadoop's `folder_$folder$` are empty objects, not data files."""
    for key, body in [("mk/", b""), ("mk/sub/", b""), ("mk/sub/a.jsonl", BODY), ("mk/sub_$folder$", b"")]:
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    for url in (f"s3://{BUCKET}/mk", f"s3://{BUCKET}/mk/", f"s3://{BUCKET}/mk/**"):
        files, skipped = resolve_all([url], None, None)
        assert [f.path for f in files] == [f"s3://{BUCKET}/mk/sub/a.jsonl"]
        markers = sorted(s.path for s in skipped if s.reason == "a folder marker")
        assert f"s3://{BUCKET}/mk/sub_$folder$" in markers and f"s3://{BUCKET}/mk/sub/" in markers
    assert validate(_contract(tmp_path), [f"s3://{BUCKET}/mk"]).dataset.rows == 10
