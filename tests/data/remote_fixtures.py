"""A local S3-compatible server (moto's server mode on 127.0.0.1, a free port) and the environment that points
boto at it the standard way (AWS_ENDPOINT_URL) with dummy keys, no instance metadata and no user config: no
test reaches the internet."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BUCKET = "tg-data"


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    moto_server = pytest.importorskip("moto.server")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(s3_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """A boto3 client of the local server, with one empty bucket; the environment (inherited by worker
    processes) points s3fs at the same server."""
    pytest.importorskip("s3fs")
    boto3 = pytest.importorskip("boto3")
    for name, value in {"AWS_ENDPOINT_URL": s3_server, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
                        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials")}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()  # an instance made for another server's port is not reused
    client = boto3.client("s3", endpoint_url=s3_server)
    for existing in client.list_buckets().get("Buckets", []):
        listed = client.list_objects_v2(Bucket=existing["Name"]).get("Contents", [])
        for item in listed:
            client.delete_object(Bucket=existing["Name"], Key=item["Key"])
        client.delete_bucket(Bucket=existing["Name"])
    client.create_bucket(Bucket=BUCKET)
    yield client
    s3fs.S3FileSystem.clear_instance_cache()


def upload(client: Any, root: Path, prefix: str = "") -> None:
    """Every file under `root`, at its relative path under `prefix` in the bucket."""
    for path in sorted(root.rglob("*")):
        if path.is_file():
            client.put_object(Bucket=BUCKET, Key=prefix + path.relative_to(root).as_posix(), Body=path.read_bytes())


VOLATILE = {"run_id", "started_at", "finished_at", "timings", "resources", "warnings"}


def comparable(result: Any, prefix: str, local: str) -> dict[str, Any]:
    """A run's JSON with the remote prefix read as the local folder, without what differs between two runs
    of the same data (times, ids) or only remote files hold (etags)."""
    data: dict[str, Any] = json.loads(result.model_dump_json().replace(prefix, local))
    for key in VOLATILE:
        data.pop(key, None)
    for info in data["dataset"]["files"]:
        info.pop("etag", None)
    return data
