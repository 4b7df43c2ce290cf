"""What reading from an object store costs beside reading the same file locally: a JSONL file and the same
rows as Parquet, uploaded to a local S3-compatible server (moto's server mode, in its own process, so this
process's CPU is traingate's alone), validated in one process from disk and from s3://, alternating, REPEATS
times each (medians). Prints wall and CPU seconds, and the bytes fetched from the store beside the file's
size, and the store's reads (each one ranged request): the pass reads each byte once (JSONL blocks and Parquet
column chunks by ranged requests; a gzip object in blocks of TRAINGATE_REMOTE_BLOCK_BYTES, 4 MiB), and the
run's sha256 of the object reads it once more, as one sequential stream beside the pass. Also prints pyarrow's bare
JSON reader on the local file, the floor the format pass is compared with.

No network: the server listens on 127.0.0.1. Needs the `remote` extra and moto[server] (the `dev` extra).
Usage: python benchmarks/remote.py [ROWS] [REPEATS]
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import banner, floor_read_json, load

CONTRACT = """\
contract: remote-cost
version: 1.0.0
dataset:
  kind: sft
checks:
  format:
    - {type: empty_text, max_rate: 1.0}
    - {type: whitespace, max_rate: 1.0}
  quantity:
    - {type: min_rows, min: 1}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _server() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return process, endpoint
        except OSError:
            time.sleep(0.05)
    raise SystemExit("moto server did not start")


def _data(folder: Path, rows: int) -> tuple[Path, Path, Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    records = [{"prompt": f"question {i} " + "word " * (i % 40), "response": f"answer {i} " + "text " * (i % 90)}
               for i in range(rows)]
    jsonl = folder / "rows.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in records))
    parquet = folder / "rows.parquet"
    pq.write_table(pa.Table.from_pylist(records), parquet, row_group_size=50_000)
    packed = folder / "rows.jsonl.gz"
    packed.write_bytes(gzip.compress(jsonl.read_bytes(), compresslevel=6))
    return jsonl, parquet, packed


def _counting() -> dict[str, int]:
    from traingate.data import remote_file

    fetched = {"bytes": 0, "reads": 0}
    read = remote_file.RemoteFile.read

    def counted(self: Any, n: int = -1) -> bytes:
        data = read(self, n)
        fetched["bytes"] += len(data)
        fetched["reads"] += 1
        return data

    remote_file.RemoteFile.read = counted  # type: ignore[method-assign]
    return fetched


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    banner()
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"})
    process, endpoint = _server()
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    try:
        import boto3

        from traingate.contracts import parse_contract
        from traingate.engine.runner import validate

        with tempfile.TemporaryDirectory() as tmp:
            jsonl, parquet, packed = _data(Path(tmp), rows)
            client = boto3.client("s3")
            client.create_bucket(Bucket="bench")
            for path in (jsonl, parquet, packed):
                client.upload_file(str(path), "bench", path.name)
            wall, cpu = floor_read_json(jsonl)
            print(f"floor: pyarrow read_json of {jsonl.stat().st_size / 1e6:.1f} MB on one thread: "
                  f"{wall:.2f} s wall, {cpu:.2f} s CPU")
            contract = parse_contract(CONTRACT, str(Path(tmp) / "c.yaml"))
            fetched = _counting()
            print(f"{'file':<17}{'where':<8}{'MB':>8}{'wall s':>9}{'CPU s':>8}{'fetched/size':>14}{'reads':>7}  load")
            for path in (jsonl, parquet, packed):
                size = path.stat().st_size
                times: dict[str, list[tuple[float, float]]] = {"local": [], "s3": []}
                ratio, reads = 0.0, 0
                for _ in range(repeats):
                    for where, data in (("local", str(path)), ("s3", f"s3://bench/{path.name}")):
                        fetched["bytes"] = fetched["reads"] = 0
                        w, c = time.perf_counter(), time.process_time()
                        result = validate(contract, [data])
                        times[where].append((time.perf_counter() - w, time.process_time() - c))
                        assert result.dataset.rows == rows, result.dataset.rows
                        if where == "s3":
                            ratio, reads = fetched["bytes"] / size, fetched["reads"]
                for where, seen in times.items():
                    med_wall = statistics.median(t[0] for t in seen)
                    med_cpu = statistics.median(t[1] for t in seen)
                    shown, count = (f"{ratio:.2f}", str(reads)) if where == "s3" else ("-", "-")
                    print(f"{path.name:<17}{where:<8}{size / 1e6:>8.1f}{med_wall:>9.2f}{med_cpu:>8.2f}{shown:>14}{count:>7}"
                          f"  {load()}")
    finally:
        process.terminate()
        process.wait()


if __name__ == "__main__":
    main()
