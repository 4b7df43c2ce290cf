"""The default embedding model ships inside traingate and loads offline; `embed` is the mean of the model's
token vectors (unknown token left out), L2-normalised float32, whatever the text's length."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT
from traingate.data.embedding_models import DEFAULT_MODEL, STATIC_MODEL
from traingate.data.embeddings import PIECE_CHARS, WINDOW, embed
from traingate.validators.uniqueness.semantic import DEFAULT_THRESHOLD

tokenizers = pytest.importorskip("tokenizers")

SENTENCE = "The committee met on a rainy Tuesday to review the harbour budget and agreed to repair the pier. "


def independent_mean(text: str) -> np.ndarray:
    """The shipped files read directly: tokenize, drop [UNK], mean of the dequantised vectors, normalise."""
    tokenizer = tokenizers.Tokenizer.from_file(str(STATIC_MODEL / "tokenizer.json"))
    tokenizer.no_truncation()
    with np.load(STATIC_MODEL / "vectors.npz") as stored:
        table = stored["vectors"].astype(np.float64) * stored["scales"][:, None]
    ids = [i for i in tokenizer.encode(text, add_special_tokens=False).ids if i != tokenizer.token_to_id("[UNK]")]
    mean = table[ids].mean(axis=0)
    return mean / np.linalg.norm(mean)


def test_the_default_model_is_the_shipped_one() -> None:
    assert DEFAULT_MODEL == "minilm-static"
    assert STATIC_MODEL.parent == ROOT / "src" / "traingate" / "data" or "site-packages" in str(STATIC_MODEL)
    assert {p.name for p in STATIC_MODEL.iterdir()} >= {"vectors.npz", "tokenizer.json", "NOTICE"}


@pytest.mark.parametrize("text", [
    "How can I reset my password?",
    "naïve café 東京 🙂 — ünïcödé",
    " ".join(f"{SENTENCE}Item {i}." for i in range(300)),  # ~6,000 tokens: many windows and pieces
    "-".join(["harbour"] * 2000),  # no space to cut at: pieces cut at the limit (between two '-' here)
])
def test_embed_is_the_mean_of_the_token_vectors(text: str) -> None:
    assert len(text) < PIECE_CHARS or len(text.split()) > 0
    (vector,) = embed([text])
    assert vector.dtype == np.float32 and abs(float(np.linalg.norm(vector)) - 1) < 1e-5
    assert float(vector @ independent_mean(text)) > 0.99999


def test_a_long_text_spans_windows_and_does_not_depend_on_its_neighbours() -> None:
    long_text = " ".join(f"{SENTENCE}Item {i}." for i in range(300))
    assert len(long_text) > 3 * PIECE_CHARS and len(long_text.split()) > 3 * WINDOW
    together = embed(["A short row.", long_text, "Another one."])
    assert np.array_equal(together[1], embed([long_text])[0])


def test_texts_without_tokens_get_the_zero_vector() -> None:
    # a word of over 100 characters is WordPiece's unknown token, which the mean leaves out (as model2vec)
    vectors = embed(["", "   ", "\u200b", "x" * 150, "fine"])
    assert vectors.shape == (5, 256) and vectors.dtype == np.float32
    assert not vectors[:4].any() and abs(float(np.linalg.norm(vectors[4])) - 1) < 1e-5
    assert embed([]).shape == (0, 256)


def test_a_paraphrase_scores_above_the_default_threshold_and_unrelated_text_below() -> None:
    a, b, c, d = embed(["How do I reset my password?", "How can I reset my password?",
                        "Give me a recipe for banana bread.", "Stock markets fell sharply on Monday."])
    assert float(a @ b) >= DEFAULT_THRESHOLD
    assert max(float(a @ c), float(a @ d), float(c @ d)) < 0.5 < DEFAULT_THRESHOLD


OFFLINE = """
import json, sys
from traingate.data.embedding_models import STATIC_MODEL
from traingate.data.embeddings import embed
v = embed(["How do I reset my password?", "How can I reset my password?"])
print(json.dumps({"cosine": float(v[0] @ v[1]), "path": str(STATIC_MODEL),
                  "loaded": sorted(m for m in ("torch", "wordllama", "huggingface_hub", "transformers") if m in sys.modules)}))
"""


def test_the_model_loads_offline_with_no_hub_cache(tmp_path: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"),
           "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", OFFLINE], capture_output=True, text=True, check=True, env=env,
                          cwd=tmp_path)
    out = json.loads(done.stdout)
    assert out["cosine"] > DEFAULT_THRESHOLD and out["loaded"] == []
    assert Path(out["path"]) == STATIC_MODEL and not (tmp_path / "hf").exists()


@pytest.mark.slow
def test_the_wheel_carries_the_model_and_the_installed_package_finds_it(tmp_path: Path) -> None:
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(tmp_path), str(ROOT)], capture_output=True, check=True)
    (wheel,) = tmp_path.glob("traingate-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"traingate/data/static_model/{n}" for n in ("vectors.npz", "tokenizer.json", "NOTICE")} <= names
    subprocess.run([*pip, "install", "--no-deps", "--target", str(tmp_path / "site"), str(wheel)], capture_output=True,
                   check=True)
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site"), "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    done = subprocess.run([sys.executable, "-c", OFFLINE], capture_output=True, text=True, check=True, env=env,
                          cwd=tmp_path)
    out = json.loads(done.stdout)
    assert Path(out["path"]).is_relative_to(tmp_path / "site") and out["cosine"] > DEFAULT_THRESHOLD
