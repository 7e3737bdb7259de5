"""Content negotiation (kg/web/negotiation.py) against RFC 9110 section 12.5.1.

Every expectation here is read off the RFC's rules by hand: the most specific media range
that matches a media type gives its quality (an exact type beats ``type/*``, which beats
``*/*``; a range with parameters beats one without, and matches only a type that has them);
``q=0`` means "not acceptable"; among equal qualities the server's first offer wins.
"""

from __future__ import annotations

import pytest

from kg.web.negotiation import choose, parse_accept, quality

#: The example header of RFC 9110 section 12.5.1 and the qualities its table gives.
RFC_EXAMPLE = (
    "text/*;q=0.3, text/plain;q=0.7, text/plain;format=flowed, "
    "text/plain;format=fixed;q=0.4, */*;q=0.5"
)


@pytest.mark.parametrize(
    ("media_type", "q"),
    [
        ("text/plain;format=flowed", 1.0),
        ("text/plain", 0.7),
        ("text/html", 0.3),
        ("image/jpeg", 0.5),
        ("text/plain;format=fixed", 0.4),
    ],
)
def test_the_rfc_example_qualities(media_type: str, q: float) -> None:
    assert quality(parse_accept(RFC_EXAMPLE), media_type) == q


def test_a_specific_type_overrides_its_lower_wildcard() -> None:
    header = "text/*;q=0.1, text/turtle"
    ranges = parse_accept(header)
    assert quality(ranges, "text/turtle") == 1.0
    assert quality(ranges, "text/html") == 0.1
    assert choose(header, ["text/html", "text/turtle"]) == "text/turtle"


def test_a_specific_type_is_acceptable_under_a_refused_wildcard() -> None:
    header = "text/*;q=0, text/html"
    assert choose(header, ["text/plain", "text/html"]) == "text/html"
    assert choose(header, ["text/plain"]) is None
    assert quality(parse_accept(header), "text/plain") == 0.0


def test_a_specific_refusal_overrides_any_type() -> None:
    header = "*/*, text/turtle;q=0"
    assert choose(header, ["text/turtle", "application/ld+json"]) == "application/ld+json"
    assert choose(header, ["text/turtle"]) is None


def test_type_wildcard_is_more_specific_than_any_type() -> None:
    header = "*/*;q=0.9, text/*;q=0.2"
    ranges = parse_accept(header)
    assert quality(ranges, "text/turtle") == 0.2
    assert quality(ranges, "application/ld+json") == 0.9
    assert choose(header, ["text/turtle", "application/ld+json"]) == "application/ld+json"


def test_a_range_with_parameters_does_not_speak_for_the_bare_type() -> None:
    # text/plain;format=flowed (q=1) says nothing about text/plain, which has q=0.2 here
    header = "text/plain;format=flowed, text/plain;q=0.2, text/html;q=0.5"
    assert quality(parse_accept(header), "text/plain") == 0.2
    assert choose(header, ["text/plain", "text/html"]) == "text/html"


def test_any_type_alone_takes_the_servers_first_offer() -> None:
    assert choose("*/*", ["text/html", "text/turtle"]) == "text/html"
    assert choose("*/*", ["text/turtle", "text/html"]) == "text/turtle"
    assert choose("*/*;q=0", ["text/html", "text/turtle"]) is None


def test_equal_qualities_keep_the_servers_order() -> None:
    header = "text/turtle;q=0.5, application/ld+json;q=0.5"
    assert choose(header, ["application/ld+json", "text/turtle"]) == "application/ld+json"
    assert choose(header, ["text/turtle", "application/ld+json"]) == "text/turtle"


def test_the_highest_quality_wins_whatever_the_header_order() -> None:
    header = "text/html;q=0.4, application/rdf+xml;q=0.8, text/turtle;q=0.6"
    assert choose(header, ["text/html", "text/turtle", "application/rdf+xml"]) == (
        "application/rdf+xml"
    )


def test_no_header_takes_the_first_offer_and_nothing_acceptable_is_none() -> None:
    assert choose(None, ["text/html", "text/turtle"]) == "text/html"
    assert choose("", ["text/turtle", "text/html"]) == "text/turtle"
    assert choose("image/png", ["text/html", "text/turtle"]) is None


def test_types_are_case_insensitive() -> None:
    assert choose("TEXT/Turtle, text/html;q=0.1", ["text/html", "text/turtle"]) == "text/turtle"
