"""Writing the rows `filter` keeps, in their original form: JSON lines copied byte for byte, CSV and TSV
records copied byte for byte under their header, JSON arrays as arrays of the kept items' text, Parquet and
Arrow with their schema (a saved dataset's Arrow as Parquet); or every kept row as JSON lines. Rows are
chosen by their number as the readers number them (data/readers.py): a rejected row is named by its line
(or item, or row), and the output keeps the input's order."""

from __future__ import annotations

from typing import BinaryIO

import numpy as np

from traingate.data.readers import open_raw
from traingate.data.sources import SourceFile
from traingate.data.writers.lines import copy_lines
from traingate.data.writers.output import opened
from traingate.data.writers.records import copy_csv, csv_starts, decompressed, member, write_json_array
from traingate.data.writers.tables import table_lines, write_table_file
from traingate.data.writers.targets import Plan, Target, plan

__all__ = ["Plan", "Target", "plan", "write_file", "write_lines"]


def write_lines(source: SourceFile, rejected: np.ndarray, out: BinaryIO, joined: bool) -> int:
    """The kept rows of a file to a text stream: in the file's own form, or (`joined`) as JSON lines, for a
    file of every input's rows. How many rows were kept. `rejected`: the file's rejected line (item, row)
    numbers, sorted."""
    if source.format == "jsonl":
        with open_raw(source) as raw:
            return copy_lines(decompressed(raw, source), out, lambda n, blank: ~member(n, rejected) & ~blank, joined)
    if source.format == "json":
        return write_json_array(source, rejected, out, lines=joined)
    if source.format in ("csv", "tsv"):
        return csv_starts(source, rejected, out)[2] if joined else copy_csv(source, rejected, out)
    return table_lines(source, rejected, out)


def write_file(source: SourceFile, rejected: np.ndarray, target: Target) -> int:
    """The kept rows of one input file as `target`; how many were kept."""
    if target.format in ("parquet", "arrow"):
        return write_table_file(source, rejected, target.path, target.format)
    with opened(target.path, target.compression) as out:
        return write_lines(source, rejected, out, joined=False)
