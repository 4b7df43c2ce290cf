"""Each pretraining quality rule at its edges, on small documents built here: exactly at a threshold (which
passes: the rules fail strictly past it), one past it, empty and one-word documents, non-English text,
punctuation-only, bullet and ellipsis lines, unicode and CRLF line ends. Expected figures are worked out by
hand in the comments; test_pretraining_datatrove_edges.py puts the same documents to datatrove."""

from __future__ import annotations

from typing import Any

import pytest

from traingate.validators.relevance.pretraining import PretrainingQualityCheck, judge
from traingate.validators.relevance.pretraining_words import sentence_count, words

pytest.importorskip("spacy")


def reasons(text: str, rule_set: str, **options: Any) -> list[str]:
    config = PretrainingQualityCheck(type="pretraining_quality", rules=[rule_set], **options)
    return [f.reason.partition(".")[2] for f in judge(text, config)[rule_set]]


def values(text: str, rule_set: str, **options: Any) -> dict[str, float]:
    config = PretrainingQualityCheck(type="pretraining_quality", rules=[rule_set], **options)
    return {f.reason.partition(".")[2]: f.value for f in judge(text, config)[rule_set]}


# A sentence of 10 words, 4 of them stop words ("the", "of", "and", "with"), mean length 4.1 (41 letters).
SENTENCE = "the sound of rain and wind came with storm tonight."
PROSE = " ".join([SENTENCE] * 5)  # 50 words, 5 sentences on one line


def test_words_are_spacy_tokens_stripped() -> None:
    assert words("Don't stop, e.g. now!") == ["Do", "n't", "stop", ",", "e.g.", "now", "!"]
    assert words("") == [] and words(" \n\t ") == []
    assert words("a\r\nb") == ["a", "b"]  # the line break is a token of whitespace, dropped
    assert sentence_count("One. Two! Three?") == 3 and sentence_count("no end") == 1


# every repetition rule off, so that a test turns on the one it looks at
OFF: dict[str, Any] = {"dup_line_frac": None, "dup_line_char_frac": None, "dup_para_char_frac": None, "dup_para_frac": None,
                       "top_n_grams": [], "dup_n_grams": []}


class TestGopherRepetition:
    def test_empty_and_one_word(self) -> None:
        assert reasons("", "gopher_repetition") == ["empty"]
        assert reasons("hello", "gopher_repetition") == []  # no 2-gram: the n-gram rules have nothing to weigh

    def test_duplicate_lines_exactly_at_and_past_the_share(self) -> None:
        distinct = [f"line {c}" for c in "abcdefg"]
        at = "\n".join(distinct + ["line a"] * 3)  # 3 of 10 lines repeat an earlier one: 0.3, not above it
        past = "\n".join(distinct[:6] + ["line a"] * 4)  # 4 of 10
        options = {"gopher_repetition": {**OFF, "dup_line_frac": 0.3}}
        assert reasons(at, "gopher_repetition", **options) == []
        assert values(past, "gopher_repetition", **options) == {"dup_line_frac": 0.4}

    def test_two_words_fail_the_top_2_gram(self) -> None:
        # the only 2-gram "ab cd" (5 characters, once) is the whole text: 5 / 5 > 0.2
        assert values("ab cd", "gopher_repetition") == {"top_2_gram": 1.0}

    def test_repeated_5_grams_count_their_characters_without_spaces(self) -> None:
        text = "one two three four five one two three four five six"
        # "onetwothreefourfive" (19 chars) repeats once; the text has 51 characters: 19 / 51 > 0.15
        found = values(text, "gopher_repetition", gopher_repetition={**OFF, "dup_n_grams": [[5, 0.15]]})
        assert found == {"duplicated_5_n_grams": 19 / 51}

    def test_paragraphs_split_on_blank_lines_crlf_is_not_blank(self) -> None:
        options = {"gopher_repetition": {**OFF, "dup_para_frac": 0.3}}
        assert values("same words\n\nsame words", "gopher_repetition", **options) == {"dup_para_frac": 0.5}
        assert reasons("same words\r\n\r\nsame words", "gopher_repetition", **options) == []  # one paragraph


class TestGopherQuality:
    def test_prose_of_exactly_fifty_words_passes(self) -> None:
        assert reasons(PROSE, "gopher_quality") == []
        assert values(PROSE.rsplit(" ", 1)[0], "gopher_quality") == {"short_doc": 49}

    def test_empty_one_word_and_punctuation_only(self) -> None:
        assert reasons("", "gopher_quality") == ["short_doc", "stop_words"]
        assert reasons("hello", "gopher_quality") == ["short_doc", "stop_words"]
        # "!!!" and "???" are words of punctuation only: none count toward the length
        assert values("!!! ??? ...", "gopher_quality")["short_doc"] == 0

    def test_stop_words_are_distinct_and_case_sensitive(self) -> None:
        options = {"gopher_quality": {"min_doc_words": None}}
        assert values("The And Of", "gopher_quality", **options).get("stop_words") == 0
        assert "stop_words" not in reasons("the and the", "gopher_quality", **options)  # 2 distinct: at the minimum
        assert values("the the the", "gopher_quality", **options)["stop_words"] == 1

    def test_mean_word_length_at_the_minimum_passes(self) -> None:
        options = {"gopher_quality": {"min_doc_words": None, "min_stop_words": None}}
        assert "short_words" not in reasons("abc abcd ab", "gopher_quality", **options)  # 9 / 3 = 3.0
        assert values("abc ab ab", "gopher_quality", **options)["short_words"] == 7 / 3

    def test_hashes_per_word_at_and_past_a_tenth(self) -> None:
        options = {"gopher_quality": {"min_doc_words": None, "min_stop_words": None}}
        # "#tag" is 2 tokens ("#", "tag"): 1 hash over 10 words is 0.1, 2 over 11 is above it
        assert "hashes" not in reasons("#tag " + "word " * 8, "gopher_quality", **options)
        assert values("#tag #tag " + "word " * 7, "gopher_quality", **options)["hashes"] == 2 / 11

    def test_bullet_and_ellipsis_lines(self) -> None:
        options = {"gopher_quality": {"min_doc_words": None, "min_stop_words": None}}
        nine = "\n".join(["- item here"] * 9 + ["plain line"])  # 9 of 10 start with a bullet: 0.9 passes
        assert "bullet_lines" not in reasons(nine, "gopher_quality", **options)
        assert values("• one\n  - two", "gopher_quality", **options)["bullet_lines"] == 1.0
        trailing = "first line…\nsecond line...\nthird\nfourth\nfifth\nsixth"  # 2 of 6 end in an ellipsis
        assert values(trailing, "gopher_quality", **options)["ellipsis_lines"] == 2 / 6

    def test_non_english_and_unicode(self) -> None:
        chinese = "布洛芬是一种非类固醇消炎药，用于治疗疼痛和发烧。" * 5
        assert "short_doc" in reasons(chinese, "gopher_quality")  # no spaces: a few long tokens, not 50 words
        accented = " ".join(["café naïve résumé über straße"] * 10) + " the and"
        assert "alpha_words" not in reasons(accented, "gopher_quality")  # accented letters are letters


class TestC4:
    def test_five_sentences_pass_four_fail(self) -> None:
        assert reasons(PROSE, "c4") == []
        assert values(" ".join([SENTENCE] * 4), "c4") == {"too_few_sentences": 4}

    def test_empty_one_word_and_lines_it_drops(self) -> None:
        assert values("", "c4") == {"too_few_sentences": 0}
        assert values("Hello.", "c4") == {"too_few_sentences": 0}  # one word: fewer than 3, dropped
        no_end = "\n".join(["a line with no terminal mark"] * 6)
        ellipsis = "\n".join(["a line that trails off..."] * 6)
        assert values(no_end, "c4") == values(ellipsis, "c4") == {"too_few_sentences": 0}

    def test_citations_are_removed_before_the_end_is_read(self) -> None:
        assert reasons("\n".join([SENTENCE + "[1]"] * 5), "c4") == []

    def test_lorem_ipsum_and_curly_brackets_only_in_lines_it_keeps(self) -> None:
        assert values(PROSE + "\nlorem ipsum dolor sit amet.", "c4") == {"lorem_ipsum": 2}
        assert reasons(PROSE + "\nlorem ipsum dolor sit amet", "c4") == []  # no terminal mark: dropped first
        assert values("the {x} braces are here.\n" + PROSE, "c4") == {"curly_bracket": 1}
        assert reasons(PROSE + "\nthe javascript {x} line is here.", "c4") == []  # a javascript line is dropped

    def test_crlf_lines_are_lines(self) -> None:
        assert reasons("\r\n".join([SENTENCE] * 5), "c4") == []


class TestFineWeb:
    def test_empty_blank_and_one_word(self) -> None:
        assert reasons("", "fineweb") == reasons(" \n \n", "fineweb") == ["empty"]
        assert reasons("hello", "fineweb") == ["line_punct_ratio", "short_line_ratio"]

    def test_terminal_punctuation_share_at_the_threshold_passes(self) -> None:
        ended = [f"this line number {i} ends with a full stop." for i in range(3)]
        plain = [f"this line number {i} has no mark at its end" for i in range(3, 25)]
        assert "line_punct_ratio" not in reasons("\n".join(ended + plain), "fineweb")  # 3 / 25 = 0.12
        assert values("\n".join(ended[:2] + plain), "fineweb")["line_punct_ratio"] == 2 / 24

    def test_crlf_hides_the_terminal_mark(self) -> None:
        # lines are cut at "\n" only: "...stop.\r" does not end in a terminal mark
        text = "\r\n".join(f"line {i} of a text that ends well, as it should." for i in range(10))
        # with CRLF only the last of the 10 lines ends in "." (0.1, below 0.12)
        assert reasons(text.replace("\r", ""), "fineweb") == []
        assert reasons(text, "fineweb") == ["line_punct_ratio"]

    def test_short_lines_of_exactly_thirty_characters_are_short(self) -> None:
        thirty = [f"{i:02d}" + "z" * 27 + "." for i in range(10)]  # 30 characters each, all distinct
        longer = [line + "!" for line in thirty]
        assert values("\n".join(thirty[:7] + longer[7:]), "fineweb")["short_line_ratio"] == 0.7
        assert "short_line_ratio" not in reasons("\n".join(thirty[:3] + longer[3:]), "fineweb")

    def test_newlines_per_word(self) -> None:
        text = "\n".join(f"Point {i} is made here very clearly indeed." for i in range(5)) + "\n" * 12
        # 16 newlines over 45 words (9 tokens a line, the full stop one of them) is above 0.3
        assert values(text, "fineweb") == {"list_ratio": 16 / 45}
        assert reasons(text.rstrip("\n") + "\n" * 9, "fineweb") == []  # 13 / 45 is below it
