"""Presenters of a RunResult. They format; they compute nothing."""
