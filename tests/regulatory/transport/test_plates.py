"""Plates as GA 36-2018 writes them, with the new-energy plates: real shapes accepted, near misses refused."""
import pytest

from portal.errors import DomainError
from portal.regulatory.transport.services import normalise_id_number, normalise_plate, parse_dangerous_goods


@pytest.mark.parametrize(("typed", "stored"), [
    ("豫M12345", "豫M12345"),        # ordinary: 5 digits
    ("豫M·D1234", "豫MD1234"),       # ordinary with a letter, typed with the plate's middle dot
    ("豫m a1b2c", "豫MA1B2C"),       # lower case and spaces are normalised
    ("豫MD12345", "豫MD12345"),      # small new-energy, battery electric: D first
    ("豫MF1A234", None),             # small new-energy: the last four must be digits
    ("豫MDA1234", "豫MDA1234"),      # small new-energy: the second may be a letter
    ("豫M12345D", "豫M12345D"),      # large new-energy: D last
    ("豫M12345F", "豫M12345F"),      # large new-energy, not battery electric: F last
    ("豫M1234挂", "豫M1234挂"),       # a semi-trailer
    ("京AF0236", "京AF0236"),        # other provinces
    ("粤B-D12345", "粤BD12345"),
])
def test_valid_plates_are_normalised(typed, stored):
    if stored is None:
        with pytest.raises(DomainError):
            normalise_plate(typed)
    else:
        assert normalise_plate(typed) == stored


@pytest.mark.parametrize("typed", [
    "豫M1234",     # too short
    "豫M123456",   # 6 digits without D or F
    "豫MX12345",   # 8 characters, X is not a new-energy letter
    "豫MD1234A",   # new-energy: neither D/F first with 4 digits last, nor 5 digits then D/F
    "豫MI2345",    # I is never used in a serial
    "豫MO2345",    # nor O
    "豫IA1234",    # nor I as the authority letter
    "AM12345",     # no province
    "港M12345",    # not a mainland province abbreviation
    "豫112345",    # the authority is a letter
    "",
])
def test_invalid_plates_are_refused_naming_the_field(typed):
    with pytest.raises(DomainError) as refused:
        normalise_plate(typed)
    assert "plate" in refused.value.fields and refused.value.code == "invalid_plate"


def test_dangerous_goods_classes_and_divisions():
    assert parse_dangerous_goods("9, 6.1，8类 6.1") == ["6.1", "8", "9"]
    assert parse_dangerous_goods(["2.1", "3"]) == ["2.1", "3"]
    for wrong in ("10", "6.3", "3.1", "HW08"):
        with pytest.raises(DomainError):
            parse_dangerous_goods(wrong)


def test_id_numbers_carry_their_check_character():
    assert normalise_id_number("41120319850506002x") == "41120319850506002X"
    with pytest.raises(DomainError):
        normalise_id_number("411203198505060021")
