"""The units people type and read: 元 per tonne and tonnes in, integer fen and grams stored."""
from decimal import Decimal

import pytest

from portal.errors import DomainError
from portal.units import (
    fen_to_yuan,
    format_mass,
    format_price_per_t,
    grams_to,
    parse_mass,
    parse_price_per_t,
    per_t,
    yuan_to_fen,
)


@pytest.mark.parametrize("typed, fen", [("18", 1800), ("18.5", 1850), ("0.01", 1), ("-20", -2000),
                                        ("1,200", 120_000), (Decimal("18"), 1800), (18, 1800), (0.1, 10)])
def test_a_price_in_yuan_per_tonne_is_stored_in_fen_per_tonne(typed, fen):
    assert parse_price_per_t(typed) == fen


def test_an_empty_price_is_negotiable_and_fen_finer_than_a_fen_are_refused():
    assert parse_price_per_t("") is None and parse_price_per_t(None) is None
    for bad in ("0.001", "abc", "1e400", "NaN"):
        with pytest.raises(DomainError) as refused:
            parse_price_per_t(bad, "price_min")
        assert "price_min" in refused.value.fields
    with pytest.raises(DomainError):
        yuan_to_fen("1" + "0" * 14)  # beyond the columns' bound


@pytest.mark.parametrize("typed, unit, grams", [("1.5", "t", 1_500_000), ("0.25", "t", 250_000),
                                                ("250", "kg", 250_000), ("3", "g", 3)])
def test_a_mass_in_tonnes_is_stored_in_grams(typed, unit, grams):
    assert parse_mass(typed, unit) == grams


def test_masses_finer_than_a_gram_or_in_unknown_units_are_refused():
    with pytest.raises(DomainError):
        parse_mass("0.0000001", "t")
    with pytest.raises(DomainError) as refused:
        parse_mass("1", "lb")
    assert "unit" in refused.value.fields


def test_stored_values_show_in_the_units_people_read(ctx):
    assert format_mass(250_000) == "250 kg" and format_mass(1_500_000) == "1.5 t" and format_mass(400) == "400 g"
    assert format_price_per_t(1800).endswith("¥18.00/t") and format_price_per_t(None) == ""
    assert fen_to_yuan(1800) == Decimal("18.00") and grams_to(250_000) == Decimal("0.25")
    assert per_t(500, "kg") == 500_000 and per_t(1800, "t") == 1800
