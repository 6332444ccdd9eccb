"""Tokenizer: identifiers keep whole form and parts; stemming; stopwords; CJK bigrams."""

from __future__ import annotations

from vault_core.index.terms import tokenize


def test_code_identifiers() -> None:
    # whole form, parts, and the joined form as a plain word reads it (stemmed)
    assert tokenize("snake_case") == ["snake_case", "snake", "case", "snakecas"]
    assert tokenize("CamelCase") == ["camelcase", "camel", "case", "camelcas"]
    assert tokenize("getHTTPResponse")[:3] == ["gethttpresponse", "get", "http"]
    assert tokenize("v2.1") == ["v2.1", "v2", "1"]


def test_identifier_found_by_its_joined_lower_case_form() -> None:
    """`cleandatabases` typed in lower case finds `cleanDatabases` and `clean_databases`."""
    query = set(tokenize("cleandatabases"))
    assert query <= set(tokenize("call cleanDatabases() first"))
    assert query <= set(tokenize("clean_databases"))
    assert {"clean", "databas"} <= set(tokenize("cleanDatabases"))  # and by its words


def test_section_signs_and_punctuation() -> None:
    assert tokenize("see §3 and § 4.2!") == ["see", "§3", "§4.2"]
    assert tokenize("Hello, world... (later)") == ["hello", "world", "later"]


def test_stemming_and_stopwords() -> None:
    assert tokenize("The runners were running") == ["runner", "run"]


def test_non_latin_scripts() -> None:
    assert tokenize("Москва привет") == ["москва", "привет"]
    assert tokenize("東京大学") == ["東京", "京大", "大学"]
    assert tokenize("Ελληνικά κείμενα") == ["ελληνικά", "κείμενα"]
