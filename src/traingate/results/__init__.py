"""Run results and the gate."""

from traingate.results.gate import ExitCode, decide
from traingate.results.model import CheckResult, RunResult, Sample, run_json_schema

__all__ = ["CheckResult", "ExitCode", "RunResult", "Sample", "decide", "run_json_schema"]
