"""What goes wrong with remote data is a SourceError naming the URL and the fix, exit 3, never a traceback: a
missing object or bucket, no credentials, a filesystem package not installed (`pip install
'traingate[remote]'`, before anything is read). A password or a signature in a URL never reaches a message
or a report: every output shows the URL redacted."""

from __future__ import annotations

import functools
import http.server
import importlib
import json
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import contract_text, write_jsonl
from tests.data.remote_fixtures import BUCKET, s3, s3_server
from traingate.cli.app import app
from traingate.contracts import parse_contract
from traingate.data.remote_errors import failure
from traingate.data.remote_redact import redact
from traingate.data.sources import resolve_all
from traingate.engine.runner import validate
from traingate.errors import MissingDependencyError, SourceError

__all__ = ["s3", "s3_server"]
runner = CliRunner()
CHECKS = "  format:\n    - type: empty_text\n  quantity:\n    - {type: min_rows, min: 1}\n"
SECRETS = ("sEcReT-pass", "SiGnAtUrE0123", "AKIAEXAMPLEKEY")


def _contract(tmp_path: Path) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(contract_text("pretraining", CHECKS))
    return path


def _validate(tmp_path: Path, *data: str, extra: tuple[str, ...] = ()) -> Any:
    return runner.invoke(app, ["validate", str(_contract(tmp_path)), *data, *extra])


def test_a_missing_object_or_bucket_names_the_url_exit_3(tmp_path: Path, s3: Any) -> None:
    for url, said in [(f"s3://{BUCKET}/nope.jsonl", "no such object"),
                      ("s3://no-such-bucket-tg/d.jsonl", "no such object"),
                      (f"s3://{BUCKET}/none/*.jsonl", "no object matches"),
                      (f"s3://{BUCKET}/empty-prefix", "no such object")]:
        done = _validate(tmp_path, url)
        assert done.exit_code == 3, (url, done.output)
        assert f"{url}: {said}" in " ".join(done.output.split()), done.output
        assert "Traceback" not in done.output


def test_no_credentials_says_how_to_give_them(tmp_path: Path, s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    s3.put_object(Bucket=BUCKET, Key="d.jsonl", Body=b'{"text": "a"}\n')
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    with pytest.raises(SourceError) as caught:
        resolve_all([f"s3://{BUCKET}/d.jsonl"], None, None)
    message = str(caught.value)
    assert message.startswith(f"s3://{BUCKET}/d.jsonl: access denied or no credentials")
    assert "AWS_ACCESS_KEY_ID" in message and "AWS_PROFILE" in message


@pytest.mark.parametrize(("module", "package"), [("s3fs", "s3fs"), ("fsspec", "fsspec")])
def test_a_missing_filesystem_package_stops_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         module: str, package: str) -> None:
    registry = importlib.import_module("fsspec.registry")._registry
    monkeypatch.delitem(registry, "s3", raising=False)  # a class loaded earlier is not reused
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(MissingDependencyError) as caught:
        resolve_all(["s3://bucket-x/data/*.jsonl"], None, None)
    assert caught.value.extra == "remote" and caught.value.package == package
    done = _validate(tmp_path, "s3://bucket-x/data/*.jsonl")
    assert done.exit_code == 3
    flat = " ".join(done.output.split())
    assert "pip install 'traingate[remote]'" in flat and f"'{package}'" in flat and "Traceback" not in flat


def test_local_runs_load_no_remote_filesystem(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": "a"}])
    code = ("import sys\nfrom traingate.contracts import parse_contract\nfrom traingate.engine.runner import validate\n"
            f"validate(parse_contract(open({str(_contract(tmp_path))!r}).read(), 'c.yaml'), [{str(path)!r}])\n"
            "print(sorted(m for m in sys.modules if m.startswith('traingate.data.remote') or m.split('.')[0] in "
            "('fsspec', 's3fs', 'gcsfs', 'adlfs', 'huggingface_hub', 'botocore')))")
    import subprocess

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_redact_hides_passwords_and_signatures_only() -> None:
    url = ("https://reader:sEcReT-pass@host.example/d.jsonl?X-Amz-Signature=SiGnAtUrE0123"
           "&X-Amz-Credential=AKIAEXAMPLEKEY&part=2")
    assert redact(url) == "https://reader:***@host.example/d.jsonl?X-Amz-Signature=***&X-Amz-Credential=***&part=2"
    assert redact("az://container@account.blob/x.jsonl?sig=abc&sv=2024") == "az://container@account.blob/x.jsonl?sig=***&sv=***"
    assert redact("s3://bucket/a:b/c@d.jsonl") == "s3://bucket/a:b/c@d.jsonl"  # a colon in a key is no password
    message = str(failure(url, PermissionError(f"403 Forbidden for {url}"), "cannot be read"))
    assert not any(secret in message for secret in SECRETS) and "access denied" in message


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local HTTP server of a folder: URLs with a password and a signature in them, as a presigned URL has."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def test_credentials_in_a_url_reach_no_output(tmp_path: Path, http_server: tuple[str, Path]) -> None:
    pytest.importorskip("aiohttp")
    base, root = http_server
    write_jsonl(root / "d.jsonl", [{"text": "fine"}, {"text": ""}, {"text": "fine too"}])
    url = f"http://reader:sEcReT-pass@{base.removeprefix('http://')}/d.jsonl?X-Amz-Signature=SiGnAtUrE0123" \
          "&X-Amz-Credential=AKIAEXAMPLEKEY"
    outputs = {name: tmp_path / name for name in ("run.json", "report.html", "junit.xml", "summary.md", "ev.jsonl")}
    done = _validate(tmp_path, url, extra=("--json", str(outputs["run.json"]), "--report", str(outputs["report.html"]),
                                           "--junit", str(outputs["junit.xml"]), "--markdown", str(outputs["summary.md"]),
                                           "--evidence", str(outputs["ev.jsonl"])))
    assert done.exit_code == 1, done.output  # the empty row fails empty_text: the run read the data
    run = json.loads(outputs["run.json"].read_text())
    shown = redact(url)
    assert run["dataset"]["files"][0]["path"] == shown and run["dataset"]["files"][0]["rows"] == 3
    assert run["dataset"]["inputs"] == [f"all={shown}"]
    assert run["checks"][0]["samples"][0]["file"] == shown
    for name, path in outputs.items():
        text = path.read_text()
        assert not any(secret in text for secret in SECRETS), name
    assert not any(secret in done.output for secret in SECRETS)
    missing = _validate(tmp_path, url.replace("d.jsonl", "gone.jsonl"))
    assert missing.exit_code == 3 and "gone.jsonl" in missing.output
    assert not any(secret in missing.output for secret in SECRETS)


def test_a_url_in_contract_splits_is_not_joined_to_the_contract_folder(tmp_path: Path, s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="t/d.jsonl", Body=b'{"text": "a"}\n{"text": "b"}\n')
    extra = f"  splits:\n    train: ['s3://{BUCKET}/t/*.jsonl']\n"
    contract = parse_contract(contract_text("pretraining", CHECKS, extra=extra), str(tmp_path / "sub" / "c.yaml"))
    result = validate(contract, [])
    assert [(f.path, f.split, f.rows) for f in result.dataset.files] == [(f"s3://{BUCKET}/t/d.jsonl", "train", 2)]
