"""Run results and the gate."""

from traingate.results.gate import ExitCode, decide
from traingate.results.model import CheckResult, RunResult, Sample

__all__ = ["CheckResult", "ExitCode", "RunResult", "Sample", "decide"]
