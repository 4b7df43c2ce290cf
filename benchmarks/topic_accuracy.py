"""Accuracy of the zero-shot features `topic` and `task_type` on labelled sets whose labels come from the
sets themselves (a subject, a category, a source), mapped to the default labels by the tables below,
which were written before any prediction was looked at. Each set is split in two halves by a hash of the
text: the label descriptions were tuned on `held-in`; `held-out` is the figure to quote.

- topic: MMLU's test questions (with their four choices, as a prompt holds them), subject -> topic.
  Subjects with no clear single topic are left out (TOPIC_LEFT_OUT).
- task_type: MT-bench and Vicuna-bench first turns (category -> type), BIG-Bench Hard (task -> type),
  GPTeacher (codegen -> code, roleplay -> roleplay), and whole sets of one type (GSM8K -> math_reasoning,
  HumanEval -> code, TruthfulQA -> question_answering; 300 rows each).

Per set: accuracy, macro-F1 over the labels it holds, the majority-class baseline (always answering the
set's most frequent label), rows, and rows/s per CPU second of embedding and labelling.

Usage: python benchmarks/topic_accuracy.py [--half held-in|held-out|all] [--model NAME] [--confusion]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import time
from collections import Counter
from pathlib import Path

from machine import banner, load

from traingate.validators.common.topics import ZeroShot, classify, instruction

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"
Rows = list[tuple[str, str]]  # (text, true label)

TOPIC_OF_SUBJECT = {
    "math": "abstract_algebra college_mathematics elementary_mathematics high_school_mathematics high_school_statistics",
    "health": "anatomy clinical_knowledge college_medicine human_aging human_sexuality medical_genetics nutrition "
              "professional_medicine virology",
    "science": "astronomy college_biology college_chemistry college_physics conceptual_physics electrical_engineering "
               "high_school_biology high_school_chemistry high_school_physics",
    "computing": "college_computer_science computer_security high_school_computer_science machine_learning",
    "finance": "business_ethics econometrics high_school_macroeconomics high_school_microeconomics management marketing "
               "professional_accounting public_relations",
    "law": "international_law jurisprudence professional_law",
    "society": "high_school_european_history high_school_geography high_school_government_and_politics "
               "high_school_us_history high_school_world_history prehistory security_studies sociology "
               "us_foreign_policy world_religions philosophy moral_disputes",
}
# No one topic: trivia, logic puzzles, everyday moral scenarios, psychology (health or society).
TOPIC_LEFT_OUT = ["miscellaneous", "global_facts", "formal_logic", "logical_fallacies", "moral_scenarios",
                  "high_school_psychology", "professional_psychology"]

TYPE_OF_CATEGORY = {"writing": "creative_writing", "roleplay": "roleplay", "reasoning": "math_reasoning",
                    "math": "math_reasoning", "coding": "code", "extraction": "extraction",
                    "stem": "question_answering", "humanities": "question_answering", "knowledge": "question_answering",
                    "common-sense": "question_answering", "fermi": "math_reasoning", "generic": "conversation"}
# counterfactual ("what if X had happened?") is left out: speculation, no one type.
TYPE_OF_BBH = {
    "math_reasoning": "boolean_expressions date_understanding formal_fallacies geometric_shapes logical_deduction_five_objects "
                      "logical_deduction_seven_objects logical_deduction_three_objects multistep_arithmetic_two navigate "
                      "object_counting reasoning_about_colored_objects temporal_sequences "
                      "tracking_shuffled_objects_five_objects tracking_shuffled_objects_seven_objects "
                      "tracking_shuffled_objects_three_objects web_of_lies",
    "classification": "snarks hyperbaton sports_understanding salient_translation_error_detection disambiguation_qa",
    "question_answering": "causal_judgement movie_recommendation penguins_in_a_table",
}
# Left out of BIG-Bench Hard: ruin_names (pick a joke edit), word_sorting and dyck_languages (string manipulation).


def held_in(text: str) -> bool:
    return hashlib.sha256(text.encode()).digest()[0] % 2 == 0


def mmlu() -> Rows:
    topic = {s: t for t, subjects in TOPIC_OF_SUBJECT.items() for s in subjects.split()}
    rows: Rows = []
    for path in sorted((SHARED / "mmlu" / "test").glob("*_test.csv")):
        subject = path.name.removesuffix("_test.csv")
        assert subject in topic or subject in TOPIC_LEFT_OUT, subject
        if subject in topic:
            with path.open(newline="") as f:
                for rec in csv.DictReader(f):
                    choices = "\n".join(f"{'ABCD'[i]}. {rec[f'choice{i}']}" for i in range(4))
                    rows.append((f"{rec['question']}\n{choices}", topic[subject]))
    return rows


def bench_questions() -> Rows:
    rows: Rows = []
    for name in ("mt_bench_question.jsonl", "vicuna_bench_question.jsonl"):
        for line in (SHARED / "fastchat_mt_bench" / name).open():
            rec = json.loads(line)
            if rec["category"] in TYPE_OF_CATEGORY:
                rows.append((rec["turns"][0], TYPE_OF_CATEGORY[rec["category"]]))
    return rows


def bbh() -> Rows:
    kind = {t: k for k, tasks in TYPE_OF_BBH.items() for t in tasks.split()}
    rows: Rows = []
    for task, label in sorted(kind.items()):
        for rec in json.loads((SHARED / "bbh" / f"{task}.json").read_text())["examples"]:
            rows.append((rec["input"], label))
    return rows


def gpteacher() -> Rows:
    rows: Rows = []
    for name, label in (("codegen-instruct", "code"), ("roleplay-simple-deduped-roleplay-instruct", "roleplay")):
        with gzip.open(SHARED / "gpteacher" / f"{name}.json.gz") as f:
            records = json.loads(f.read())
        for rec in records:
            rows.append((f"{rec['instruction']}\n{rec['input']}".strip(), label))
    return rows


def one_type_sets() -> Rows:
    gsm = [json.loads(line)["question"] for line in (SHARED / "gsm8k" / "test.jsonl").open()][:300]
    with gzip.open(SHARED / "humaneval" / "HumanEval.jsonl.gz", "rt") as f:
        human = [json.loads(line)["prompt"] for line in f][:300]
    with (SHARED / "truthfulqa" / "TruthfulQA.csv").open(newline="") as f:
        truthful = [rec["Question"] for rec in csv.DictReader(f)][:300]
    return ([(t, "math_reasoning") for t in gsm] + [(t, "code") for t in human]
            + [(t, "question_answering") for t in truthful])


def measure(rows: Rows, feature: str, model: str | None) -> tuple[list[str], float]:
    texts = [t if feature == "topic" else instruction(t) for t, _ in rows]
    ask = ZeroShot(feature, model=model)
    classify(texts[:1], ask)  # load the model and the label vectors outside the timing
    cpu = time.process_time()
    predicted = classify(texts, ask)
    return predicted, time.process_time() - cpu


def scores(truth: list[str], predicted: list[str]) -> tuple[float, float, float]:
    """Accuracy, macro-F1 over the true labels present, and the majority-class baseline's accuracy."""
    n = len(truth)
    accuracy = sum(t == p for t, p in zip(truth, predicted)) / n
    f1s = []
    for label in sorted(set(truth)):
        tp = sum(t == p == label for t, p in zip(truth, predicted))
        fp = sum(p == label != t for t, p in zip(truth, predicted))
        fn = sum(t == label != p for t, p in zip(truth, predicted))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return accuracy, sum(f1s) / len(f1s), Counter(truth).most_common(1)[0][1] / n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--half", choices=("held-in", "held-out", "all"), default="held-out")
    parser.add_argument("--model", default=None, help="embedding model (default: topics.DEFAULT_MODEL)")
    parser.add_argument("--confusion", action="store_true", help="print each set's most frequent confusions")
    args = parser.parse_args()
    banner()
    print(f"half: {args.half} (descriptions tuned on held-in)")
    sets = [("topic", "mmlu (50 subjects)", mmlu), ("task_type", "mt-bench + vicuna", bench_questions),
            ("task_type", "bbh (24 tasks)", bbh), ("task_type", "gpteacher", gpteacher),
            ("task_type", "gsm8k+humaneval+truthfulqa", one_type_sets)]
    print(f"| feature | set | accuracy | macro-F1 | majority baseline | rows | rows/s per core |\n|{'---|' * 7}")
    for feature, name, load_rows in sets:
        rows = [r for r in load_rows() if args.half == "all" or held_in(r[0]) == (args.half == "held-in")]
        predicted, cpu = measure(rows, feature, args.model)
        truth = [label for _, label in rows]
        accuracy, f1, baseline = scores(truth, predicted)
        print(f"| {feature} | {name} | {accuracy:.3f} | {f1:.3f} | {baseline:.3f} | {len(rows):,} | "
              f"{len(rows) / max(cpu, 1e-9):,.0f} |")
        if args.confusion:
            print("   ", Counter((t, p) for t, p in zip(truth, predicted) if t != p).most_common(8))
    print(load())


if __name__ == "__main__":
    main()
