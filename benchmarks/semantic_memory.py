"""Peak memory of `semantic_duplicates` with one very long row: 255 LIMA prompts and one row of WORDS words
(LIMA responses joined), run through `validate` in a fresh process. Prints the peak resident memory the
check added over the process after loading the model (and its token sketch table, where the check uses one),
and the rows embedded; run with `PYTHONPATH=OLD/src` to measure an older tree beside this one.

Usage: python benchmarks/semantic_memory.py [WORDS] [SAMPLE_ROWS] [MODEL]   (MODEL: minilm-static, wordllama)
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import banner

from traingate.data.embedding_models import DEFAULT_MODEL

LIMA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "lima_and_oasst_zh" / "lima.json.gz"
RUN = """
import json, resource, sys
from traingate.contracts import parse_contract
from traingate.data import embeddings
from traingate.engine.runner import RunOptions, validate
getattr(embeddings, "embed_rows", embeddings.embed)(["warm the model up"], sys.argv[4])  # what the check calls
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sample = f"\\n      sample: {{rows: {sys.argv[3]}, seed: 1}}" if int(sys.argv[3]) else ""
text = ("contract: m\\nversion: 1.0.0\\ndataset:\\n  kind: pretraining\\nchecks:\\n  uniqueness:\\n"
        "    - type: semantic_duplicates\\n      model: " + sys.argv[4] + sample + "\\n")
result = validate(parse_contract(text, sys.argv[1]), [sys.argv[2]], options=RunOptions(workers=1))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"model_loaded_mib": before / 1024, "peak_mib": after / 1024, "added_mib": (after - before) / 1024,
                  "embedded_rows": result.checks[0].details["embedded_rows"], "status": result.checks[0].status}))
"""


def rows(words: int) -> list[dict[str, str]]:
    with gzip.open(LIMA) as raw:
        lima = json.loads(raw.read())
    long_words: list[str] = []
    for item in lima:
        long_words += item["output"].split()
        if len(long_words) >= words:
            break
    return [{"text": item["instruction"]} for item in lima[:255]] + [{"text": " ".join(long_words[:words])}]


def main() -> None:
    banner()
    print("floor: the process with the embedding model loaded and warm (model_loaded_mib); added_mib is the check's")
    words = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    sample = sys.argv[2] if len(sys.argv) > 2 else "0"
    model = sys.argv[3] if len(sys.argv) > 3 else DEFAULT_MODEL
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "d.jsonl"
        data.write_text("".join(json.dumps(r) + "\n" for r in rows(words)), encoding="utf-8")
        done = subprocess.run([sys.executable, "-c", RUN, str(Path(tmp) / "c.yaml"), str(data), sample, model],
                              capture_output=True, text=True, check=True)
    figures = json.loads(done.stdout.splitlines()[-1])
    print(json.dumps({"words": words, "rows": 256, "sample": int(sample), "model": model, **figures}))


if __name__ == "__main__":
    main()
