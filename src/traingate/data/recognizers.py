"""traingate's own Presidio recognizers. STREET_ADDRESS, which Presidio lacks: one pattern for the
street forms of many countries (number and suffix, prefix and number, compound names, units, PO boxes),
carried on over up to four next lines or comma parts (unit, city, country, postcode). PHONE_NUMBER:
digit groups that need a context word, and Presidio's own phone recognizer run on windows only."""

from __future__ import annotations

from typing import Any

SUFFIXES = ("Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Terrace|Way|Square|Sq|"
            "Parkway|Pkwy|Highway|Hwy|Circle|Cir|Trail|Crescent|Close|Grove|Gardens|Row|Walk|Hill|Park")
PREFIXES = ("rue|rua|rúa|via|viale|calle|carrer|camino|avenida|avinguda|avenue|av\\.|piazza|piazzale|corso|plaza|"
            "paseo|largo|travessa|estrada|strada|boulevard|place|chemin|allée|ulica|ul\\.|trg|odos|leoforos")
# Capitalised, a prefix may open a sentence as a verb ("Place the book on shelf 1"): "Place" needs a number before it.
PREFIXES_CAPITALISED = "|".join(p[0].upper() + p[1:] for p in PREFIXES.split("|") if p != "place")
COMPOUNDS = ("strasse|straße|str\\.|weg|gasse|platz|allee|ring|laan|straat|plein|gracht|vej|gade|gatan|gata|vägen|"
             "veien|vegen|tie|katu|kuja|vegur|stræti|utca|út|ulica|iela|gatve")
UNITS = "apt|apartment|suite|ste|unit|flat"
WORD = r"[\p{L}][\p{L}'.\-]*"
CAPITALISED = r"\p{Lu}[\p{L}'\-]*"
# A house number: not the end of a time (12:13 PM), a version (2272.76), a range or a fraction.
NUMBER = r"(?<![\d:.,/\-])\d{1,6}(?:[ ]\d{1,3})?"
FUNCTION_WORDS = r"(?:and|or|in|on|of|the|over|at|to|for|with|from|by|is|was|are|were|than|per)\b"
# Words after a number that make a date, an amount or a measure, not a street: 7 May 1983, 500 British
# Pounds, 200 Hz, 12 PM.
NOT_STREET = ("(?:Jan|January|Feb|February|Mar|March|Apr|April|May|Jun|June|Jul|July|Aug|August|Sep|Sept|September|"
              "Oct|October|Nov|November|Dec|December|AM|PM|A\\.M|P\\.M|Hz|kHz|MHz|GHz|GB|MB|TB|USD|EUR|GBP|Euros?|"
              "Dollars?|Pounds?|Yen|Yuan|Rupees?|British|Japanese|US|Canadian|Australian|ROWS?|Rows?|Ubuntu|Windows|"
              "Version|Series|Ti|RTX|GTX|Summer|Winter|Olympics|BC|AD|BCE|CE|Degrees?|Celsius|Fahrenheit|Kelvin)\\b")
STREETS = {
    # Common words end the suffix and prefix forms ("30 minutes. Immediately place", "largo y cortarla en 4"):
    # suffix forms need capitalised words; a prefix in lower case needs a house number before it.
    "street_suffix": rf"\b{NUMBER}[ ](?!{NOT_STREET})(?:{CAPITALISED}[ ]){{0,3}}(?:{SUFFIXES})\b\.?",
    "street_prefix": rf"\b(?:{NUMBER}[ ](?i:{PREFIXES})|(?-i:{PREFIXES_CAPITALISED}))(?:[ ]{WORD}){{1,4}}[ ]\d{{1,5}}\b",
    "street_number_prefix": rf"\b{NUMBER}[ ](?i:{PREFIXES})(?:[ ]{WORD}){{1,4}}",
    "street_compound": rf"\b(?:{NUMBER}[ ])?(?!String\b)\p{{Lu}}\p{{L}}*(?i:{COMPOUNDS})[ ]\d{{1,5}}[a-z]?\b",
    # "233 Erzsébet tér 19", "6076 Piroska u. 97": none of the words a month, a currency, a unit or an English
    # function word (8 Carbon atoms and 18 ...), the first capitalised and not an acronym (5 NHL players).
    "street_number_name_number": rf"\b{NUMBER}[ ](?!{NOT_STREET}|\p{{Lu}}{{2}})\p{{Lu}}[\p{{L}}'.\-]*"
                                 rf"(?:[ ](?!{NOT_STREET}|{FUNCTION_WORDS}){WORD}){{0,3}}"
                                 r"[ ]\d{1,5}\b(?![.:,]\d)",
    "unit": rf"\b(?i:{UNITS})\.?[ ]?#?\d{{1,5}}[A-Z]?\b",
    "po_box": r"\b(?i:p\.?[ ]?o\.?[ ]box|psc[ ]\d{1,5},[ ]box)[ ]\d{1,6}\b(?:\s+(?i:apo|fpo|dpo)[ ](?i:a[aep])[ ]\d{5})?",
    "military_ship": r"\bUS[NS]S[ ]\p{L}+(?:\s+(?:FPO|DPO)[ ]A[AEP][ ]\d{5})?",
}
# After a street: up to four more parts, each on its own line (after any quoting such as "> ") or after
# a comma: a unit, a place name with an optional postcode, or a postcode.
PART = (rf"(?:(?i:{UNITS})\.?[ ]?#?\d{{1,5}}[A-Z]?"
        r"|\p{L}[\p{L}'.\-]*(?:[ ]+[\p{L}'.()\-]+){0,3}(?:[ ]+\d{4,6}(?:-\d{3,4})?)?|\d{1,6}(?:-\d{3,4})?)")
# A part follows on a new line (after quoting such as "> "), or after a space when it is a unit or a
# capitalised place name; after a comma only a unit, a capitalised name or a number: the sentence may go
# on there ("at 655 Jackson St, with a rating of 4.2").
SEPARATOR = rf"(?:[ ]*\n[ \t>?*|]*|[ ]+(?=(?i:{UNITS})\b|\p{{Lu}})|,[ ]*(?=(?i:{UNITS})\b|\p{{Lu}}|\d))"


def block_pattern() -> str:
    streets = "|".join(f"(?:{regex})" for regex in STREETS.values())
    return rf"(?:{streets})(?:{SEPARATOR}{PART}){{0,4}}"


def street_address_recognizer(language: str) -> Any:
    import regex
    from presidio_analyzer import Pattern, PatternRecognizer

    patterns = [Pattern("street_address", block_pattern(), 0.6)]
    return PatternRecognizer(supported_entity="STREET_ADDRESS", name="StreetAddressRecognizer", patterns=patterns,
                             supported_language=language, context=["address", "lives", "live", "street", "apt",
                                                                   "suite", "billing", "shipping", "mail"],
                             global_regex_flags=regex.MULTILINE)


def phone_recognizer(language: str, standalone: bool) -> Any:
    """International digit groups (+41 (0)38 549 02 90, 51 516 33 75) that Presidio's phone regions miss.
    Beside Presidio's phone recognizer (NER mode) they score low, so only a nearby context word (phone,
    mobile, call, ...) lifts them over the threshold. Standalone (patterns mode, where python-phonenumbers
    would take most of the time and no context words are read) they need three groups or a leading +
    and score 0.4. The shape of a US SSN (123-45-6789) is left to the SSN recognizer."""
    import regex
    from presidio_analyzer import Pattern, PatternRecognizer

    groups, score = ("{2,4}", 0.4) if standalone else ("{1,4}", 0.2)
    pattern = (r"(?<![\w+])(?!\d{3}-\d{2}-\d{4}(?!\d))(?:\+\d{1,3}[ ]?(?:\(\d{1,4}\)[ ]?)?\d{2,4}(?:[ .\-]\d{2,4}){1,4}"
               rf"|(?:\(\d{{1,4}}\)[ ]?)?\d{{2,4}}(?:[ .\-]\d{{2,4}}){groups})(?![\w])")
    class DigitGroupPhoneRecognizer(PatternRecognizer):
        def invalidate_result(self, pattern_text: str) -> bool:
            return not phone_shaped(pattern_text)

    return DigitGroupPhoneRecognizer(supported_entity="PHONE_NUMBER", name="DigitGroupPhoneRecognizer",
                                     patterns=[Pattern("digit_groups", pattern, score)], supported_language=language,
                                     context=["phone", "mobile", "call", "tel", "telephone", "fax", "cell", "number",
                                              "reach", "answering", "contact"], global_regex_flags=regex.MULTILINE)


def phone_shaped(value: str) -> bool:
    """Whether digits read as a phone number rather than a date (2021-02-14), a range (113-122), a list of
    small numbers (12 19 11 15 32) or a time: seven digits or more, and not only groups of one or two digits
    apart by spaces (60-56-85-91 and 01.84.17.61.18 are numbers)."""
    import regex

    groups = regex.findall(r"\d+", value)
    if sum(map(len, groups)) < 7 or regex.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return False
    return value.lstrip().startswith("+") or any(len(g) >= 3 for g in groups) or not regex.search(r"\d[ ]+\d", value)


def windowed_phone_recognizer(language: str) -> Any:
    """Presidio's PhoneRecognizer (python-phonenumbers, eight regions), run only on windows around runs
    of digits: it scans the whole text once per region, which made it most of the time of a pattern
    scan. Windows keep 12 characters either side, which is all the matcher looks at around a number.
    Digits after a decimal point or a minus sign (0.3571428571, -2147483648) are numbers, not phones."""
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    class WindowedPhoneRecognizer(PhoneRecognizer):
        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            import regex

            results = []
            for start, end in _windows((m.span() for m in regex.finditer(DIGIT_RUN, text)), len(text), 12):
                for r in super().analyze(text[start:end], entities, nlp_artifacts):
                    r.start, r.end = r.start + start, r.end + start
                    if phone_shaped(text[r.start: r.end]) and not regex.search(r"(?:\d[.,]|(?<![\w-])-)$", text[:r.start]):
                        results.append(r)
            return results

    # Canada shares the US numbering plan (+1), so its pass finds nothing the US pass does not.
    regions = tuple(r for r in PhoneRecognizer.DEFAULT_SUPPORTED_REGIONS if r != "CA")
    return WindowedPhoneRecognizer(supported_language=language, supported_regions=regions)


DIGIT_RUN = r"\+?\(?\d(?:[ \t().\-/]{0,2}\d){5,}"  # six digits or more: no phone number is shorter


def _windows(spans: Any, length: int, margin: int) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        start, end = max(0, start - margin), min(length, end + margin)
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
