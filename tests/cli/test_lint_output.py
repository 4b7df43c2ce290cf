"""`traingate lint`'s explanation as a separate process writes it: on a pipe, the contract's words exactly as
written (a newline in a description kept, every other control character escaped, rich's markup not read), and
bold headings when the environment asks for a terminal's escapes on a pipe (FORCE_COLOR, TTY_COMPATIBLE)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BOLD = "\x1b[1m"
DESCRIPTION = "first [bold]b[/] [link=https://x]l[/link] \x1b[31mred \u202eevil\ttab\nsecond\rcr :smile:"
HEADER = ("n[red]x[/] 1.0.0: first [bold]b[/] [link=https://x]l[/link] \\x1b[31mred \\u202eevil\\x09tab\n"
          "second\\x0dcr :smile:")


def _contract(tmp_path: Path) -> Path:
    contract = {"contract": "n[red]x[/]", "version": "1.0.0", "description": DESCRIPTION,
                "dataset": {"kind": "sft", "fields": {"prompt": "p[/]", "response": "r[bold]"}},
                "checks": {"format": [{"type": "empty_text"}]}}
    path = tmp_path / "c.yaml"
    path.write_text(json.dumps(contract))  # JSON is YAML
    return path


def _lint(contract: Path, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR")}
    run = subprocess.run([sys.executable, "-m", "traingate", "lint", str(contract)], capture_output=True,
                         text=True, env={**environ, **env}, timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_a_pipe_gets_the_contracts_words_as_written(tmp_path: Path) -> None:
    lines = _lint(_contract(tmp_path)).split("\n")
    assert "\n".join(lines[:2]) == HEADER
    assert lines[2] == "dataset kind sft; fields: prompt -> p[/], response -> r[bold]"
    assert lines[-2:] == ["1 checks; contract OK", ""] and "\x1b" not in "".join(lines)


@pytest.mark.parametrize("env", [{"FORCE_COLOR": "1"}, {"TTY_COMPATIBLE": "1"}], ids=["force", "compatible"])
def test_a_pipe_asked_for_escapes_gets_bold_headings(tmp_path: Path, env: dict[str, str]) -> None:
    output = _lint(_contract(tmp_path), **env)
    assert output.startswith(BOLD) and f"{BOLD}format" in output
    assert "p[/], response -> r[bold]" in output and "\\x1b[31mred" in output


@pytest.mark.parametrize("env", [{"FORCE_COLOR": ""}, {"TTY_COMPATIBLE": "0", "FORCE_COLOR": "1"}],
                         ids=["force-empty", "incompatible"])
def test_a_pipe_not_asked_for_escapes_gets_none(tmp_path: Path, env: dict[str, str]) -> None:
    contract = _contract(tmp_path)
    assert _lint(contract, **env) == _lint(contract)
