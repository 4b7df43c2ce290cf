"""Keys, allowed-signers files and saved runs for the sign-off tests, all made here, offline."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from tests.cli.test_cli import invoke
from tests.conftest import write_jsonl

CONTRACT = """\
contract: signed
version: 2.0.0
dataset:
  kind: sft
checks:
  format:
    - {type: empty_text, max_count: 0}
  uniqueness:
    - {type: exact_duplicates, max_rate: 0.1}
"""
CLEAN = [{"prompt": f"Question {i} about the sea?", "response": f"Answer {i}: the sea is deep."} for i in range(20)]


@dataclass(frozen=True)
class Key:
    private: Path
    public_line: str  # "ssh-ed25519 AAAA..."


def make_key(folder: Path, name: str) -> Key:
    key = Ed25519PrivateKey.generate()
    path = folder / name
    path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption()))
    path.chmod(0o600)
    return Key(path, key.public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode())


def allowed_signers(path: Path, *entries: tuple[str, Key]) -> Path:
    """`who` may hold options after the principals, as in `ci@example.com namespaces="traingate-run"`."""
    path.write_text("# who may sign\n" + "".join(f"{who} {key.public_line}\n" for who, key in entries))
    return path


def team(folder: Path, ci: Key, manager: Key) -> Path:
    """The CI key signs runs only; the release manager's key signs promotions (and git commits)."""
    return allowed_signers(folder / "allowed_signers", ('ci@example.com namespaces="traingate-run"', ci),
                           ('release@example.com,rm* namespaces="git,traingate-release"', manager))


@dataclass(frozen=True)
class Setup:
    folder: Path
    ci: Key  # signs runs
    manager: Key  # signs promotions
    mallory: Key  # trusted by no one
    trust: Path

    def validate(self, name: str, rows: list[dict[str, str]], *extra: str, key: Key | None = None) -> tuple[int, Path]:
        contract, data, saved = self.folder / "c.yaml", self.folder / f"{name}.jsonl", self.folder / f"{name}.json"
        contract.write_text(CONTRACT)
        write_jsonl(data, rows)
        signing = ["--key", str(key.private)] if key else []
        code, output = invoke("validate", str(contract), str(data), "--json", str(saved), *signing, *extra)
        assert saved.exists(), output
        return code, saved


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    ci, manager, mallory = (make_key(tmp_path, n) for n in ("ci", "manager", "mallory"))
    return Setup(tmp_path, ci, manager, mallory, team(tmp_path, ci, manager))


@pytest.fixture(scope="module")
def signed_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Setup]:
    """One passing run signed by the CI key, made once for the module; copy before changing it."""
    folder = tmp_path_factory.mktemp("signed")
    ci, manager, mallory = (make_key(folder, n) for n in ("ci", "manager", "mallory"))
    made = Setup(folder, ci, manager, mallory, team(folder, ci, manager))
    code, saved = made.validate("good", CLEAN, key=ci)
    assert code == 0
    return saved, made


def copied(saved: Path, folder: Path, change: Any = None) -> Path:
    """A copy of a saved run in `folder`, its JSON passed through `change` first."""
    target = folder / f"copy-{len(list(folder.glob('copy-*')))}.json"
    if change is None:
        shutil.copy(saved, target)
    else:
        body = json.loads(saved.read_text())
        change(body)
        target.write_text(json.dumps(body))
    return target
