"""traingate's own Presidio recognizer: STREET_ADDRESS, which Presidio lacks. Patterns for the street
forms of many countries (number and suffix, prefix and number, compound names, units, PO boxes), and a
block form that carries an address on over the next lines or comma parts (unit, city, country, zip)."""

from __future__ import annotations

from typing import Any

SUFFIXES = ("street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|place|pl|terrace|way|square|sq|"
            "parkway|pkwy|highway|hwy|circle|cir|trail|crescent|close|grove|gardens|row|walk|hill|park")
PREFIXES = ("rue|rua|rúa|via|viale|calle|carrer|camino|avenida|avinguda|avenue|av\\.|piazza|piazzale|corso|plaza|"
            "paseo|largo|travessa|estrada|strada|boulevard|place|chemin|allée|ulica|ul\\.|trg|odos|leoforos")
COMPOUNDS = ("strasse|straße|str\\.|weg|gasse|platz|allee|ring|laan|straat|plein|gracht|vej|gade|gatan|gata|vägen|"
             "veien|vegen|tie|katu|kuja|vegur|stræti|utca|út|ulica|iela|gatve")
UNITS = "apt|apartment|suite|ste|unit|flat"
WORD = r"[\p{L}][\p{L}'.\-]*"
NUMBER = r"\d{1,6}(?:[ ]\d{1,3})?"
STREETS = {
    "street_suffix": (rf"\b{NUMBER}[ ](?:{WORD}[ ]){{0,3}}(?i:{SUFFIXES})\b\.?", 0.6),
    "street_prefix": (rf"\b(?:{NUMBER}[ ])?(?i:{PREFIXES})(?:[ ]{WORD}){{1,4}}[ ]\d{{1,5}}\b", 0.6),
    "street_number_prefix": (rf"\b{NUMBER}[ ](?i:{PREFIXES})(?:[ ]{WORD}){{1,4}}", 0.6),
    "street_compound": (rf"\b(?:{NUMBER}[ ])?\p{{Lu}}\p{{L}}*(?i:{COMPOUNDS})[ ]\d{{1,5}}[a-z]?\b", 0.6),
    "street_number_name_number": (rf"\b{NUMBER}[ ]\p{{Lu}}[\p{{L}}'.\-]*(?:[ ]{WORD}){{0,3}}[ ]\d{{1,5}}\b", 0.5),
    "unit": (rf"\b(?i:{UNITS})\.?[ ]?#?\d{{1,5}}[A-Z]?\b", 0.6),
    "po_box": (r"\b(?i:p\.?[ ]?o\.?[ ]box|psc[ ]\d{1,5},[ ]box)[ ]\d{1,6}\b(?:\s+(?i:apo|fpo|dpo)[ ](?i:a[aep])[ ]\d{5})?", 0.6),
    "military_ship": (r"\bUS[NS]S[ ]\p{L}+(?:\s+(?:FPO|DPO)[ ]A[AEP][ ]\d{5})?", 0.6),
}
# After a street: up to four more parts, each on its own line (after any quoting such as "> ") or after
# a comma: a unit, a place name with an optional postcode, or a postcode.
PART = (rf"(?:(?i:{UNITS})\.?[ ]?#?\d{{1,5}}[A-Z]?"
        r"|\p{L}[\p{L}'.\-]*(?:[ ]+[\p{L}'.()\-]+){0,3}(?:[ ]+\d{4,6}(?:-\d{3,4})?)?|\d{1,6}(?:-\d{3,4})?)")
# A part follows on a new line (after quoting such as "> "), after a comma, or after a space when it is
# a unit or a capitalised place name.
SEPARATOR = rf"(?:[ ]*\n[ \t>?*|]*|,[ ]*|[ ]+(?=(?i:{UNITS})\b|\p{{Lu}}))"


def block_pattern() -> str:
    streets = "|".join(f"(?:{regex})" for regex, _ in STREETS.values())
    return rf"(?:{streets})(?:{SEPARATOR}{PART}){{1,4}}"


def street_address_recognizer(language: str) -> Any:
    import regex
    from presidio_analyzer import Pattern, PatternRecognizer

    patterns = [Pattern(name, pattern, score) for name, (pattern, score) in STREETS.items()]
    patterns.append(Pattern("address_block", block_pattern(), 0.65))
    return PatternRecognizer(supported_entity="STREET_ADDRESS", name="StreetAddressRecognizer", patterns=patterns,
                             supported_language=language, context=["address", "lives", "live", "street", "apt",
                                                                   "suite", "billing", "shipping", "mail"],
                             global_regex_flags=regex.MULTILINE)


def phone_recognizer(language: str) -> Any:
    """International digit groups (+41 (0)38 549 02 90, 51 516 33 75) that Presidio's phone regions miss;
    scored low, so only a nearby context word (phone, mobile, call, ...) lifts them over the threshold.
    The shape of a US SSN (123-45-6789) is left to the SSN recognizer."""
    import regex
    from presidio_analyzer import Pattern, PatternRecognizer

    pattern = r"(?<![\w+])(?!\d{3}-\d{2}-\d{4}(?!\d))(?:\+\d{1,3}[ ]?)?(?:\(\d{1,4}\)[ ]?)?\d{2,4}(?:[ .\-]\d{2,4}){1,4}(?![\w])"
    return PatternRecognizer(supported_entity="PHONE_NUMBER", name="DigitGroupPhoneRecognizer",
                             patterns=[Pattern("digit_groups", pattern, 0.2)], supported_language=language,
                             context=["phone", "mobile", "call", "tel", "telephone", "fax", "cell", "number", "reach",
                                      "answering", "contact"], global_regex_flags=regex.MULTILINE)
