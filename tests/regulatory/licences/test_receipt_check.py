"""The one service that answers "may this organisation receive this quantity of this code on this date?"."""
from datetime import UTC, date, datetime

import pytest

from portal.errors import DomainError
from portal.extensions import db
from portal.regulatory.licences import services
from tests.regulatory.licences.conftest import DAY, TONNE

pytestmark = pytest.mark.usefixtures("ctx")


def test_a_valid_licence_covering_the_code_allows_the_receipt(receiver, make_licence):
    licence = make_licence(receiver)
    decision = services.check_receipt(receiver, "900-041-49", 2 * TONNE, DAY)
    assert decision.allowed and decision.reason_code == "allowed"
    assert decision.licence.id == licence.id and decision.methods == ["D10"]
    assert decision.remaining_g == 10 * TONNE
    assert services.may_receive(receiver, "90004149", 2 * TONNE, DAY)  # the compact spelling too


def test_an_expired_licence_is_refused_as_expired(receiver, make_licence):
    make_licence(receiver, valid_from=date(2020, 1, 1), valid_until=date(2025, 12, 31))
    decision = services.check_receipt(receiver, "900-041-49", 1000, DAY)
    assert not decision.allowed and decision.reason_code == "expired"
    assert "2025" in decision.message


def test_a_licence_not_yet_valid_is_refused_as_expired(receiver, make_licence):
    make_licence(receiver, valid_from=date(2026, 7, 1), valid_until=date(2031, 6, 30))
    decision = services.check_receipt(receiver, "900-041-49", 1000, DAY)
    assert (decision.allowed, decision.reason_code) == (False, "expired")


def test_a_code_outside_the_scope_is_refused(receiver, make_licence):
    make_licence(receiver, scopes="900-041-49 D10")
    decision = services.check_receipt(receiver, "772-002-18", 1000, DAY)
    assert (decision.allowed, decision.reason_code) == (False, "code_out_of_scope")
    assert "772-002-18" in decision.message


def test_a_category_scope_covers_every_code_of_the_category_and_nothing_else(receiver, make_licence):
    make_licence(receiver, scopes="HW08 R9")
    assert services.check_receipt(receiver, "900-249-08", 1000, DAY).allowed
    assert services.check_receipt(receiver, "900-214-08", 1000, DAY).methods == ["R9"]
    assert services.check_receipt(receiver, "900-041-49", 1000, DAY).reason_code == "code_out_of_scope"


def test_a_quantity_above_the_remaining_annual_capacity_is_refused(receiver, make_licence, receive):
    make_licence(receiver)  # 10 t a year
    receive(receiver, "900-249-08", 9 * TONNE + 500_000)  # 9.5 t received this year
    receive(receiver, "900-249-08", 5 * TONNE, when=datetime(2025, 12, 31, 15, 0, tzinfo=UTC))  # 2025 in China
    decision = services.check_receipt(receiver, "900-041-49", 1 * TONNE, DAY)
    assert (decision.allowed, decision.reason_code) == (False, "capacity_exceeded")
    assert decision.remaining_g == 500_000
    assert "500 kg" in decision.message
    assert services.check_receipt(receiver, "900-041-49", 500_000, DAY).allowed


def test_received_in_the_first_hours_of_the_chinese_year_counts_for_that_year(receiver, make_licence, receive):
    make_licence(receiver)
    receive(receiver, "900-249-08", 10 * TONNE, when=datetime(2025, 12, 31, 16, 30, tzinfo=UTC))  # 00:30 in China
    assert services.check_receipt(receiver, "900-249-08", 1, DAY).reason_code == "capacity_exceeded"
    assert services.check_receipt(receiver, "900-249-08", 1, date(2025, 12, 31)).allowed


def test_a_scope_with_its_own_capacity_is_limited_by_it(receiver, make_licence, receive):
    make_licence(receiver, scopes="HW08 R9\n900-041-49 D10 2t")
    receive(receiver, "900-041-49", 1 * TONNE + 800_000)
    decision = services.check_receipt(receiver, "900-041-49", 300_000, DAY)
    assert decision.reason_code == "capacity_exceeded" and decision.remaining_g == 200_000
    assert services.check_receipt(receiver, "900-249-08", 3 * TONNE, DAY).allowed


def test_receipts_of_another_organisation_do_not_use_the_capacity(factory, receiver, make_licence, receive):
    make_licence(receiver)
    receive(factory.org(is_receiver=True), "900-249-08", 10 * TONNE)
    assert services.check_receipt(receiver, "900-249-08", 10 * TONNE, DAY).allowed


def test_suspended_and_revoked_licences_are_refused_with_their_own_reason(receiver, make_licence, regulator):
    licence = make_licence(receiver)
    user = db.session.merge(regulator)
    services.change_licence_status(user, licence, "suspend", "逾期未提交年度报告")
    assert services.check_receipt(receiver, "900-041-49", 1000, DAY).reason_code == "suspended"
    services.change_licence_status(user, licence, "reinstate", "已整改")
    assert services.check_receipt(receiver, "900-041-49", 1000, DAY).allowed
    services.change_licence_status(user, licence, "revoke", "超范围经营")
    assert services.check_receipt(receiver, "900-041-49", 1000, DAY).reason_code == "revoked"
    with pytest.raises(DomainError) as exc:
        services.change_licence_status(user, licence, "reinstate", "申诉")
    assert exc.value.code == "invalid_transition"


def test_without_a_licence_the_reason_is_no_licence(receiver):
    decision = services.check_receipt(receiver, "900-041-49", 1000, DAY)
    assert (decision.allowed, decision.reason_code, decision.licence) == (False, "no_licence", None)


def test_the_licence_closest_to_allowing_gives_the_reason(receiver, make_licence):
    make_licence(receiver, suffix="old", valid_from=date(2019, 1, 1), valid_until=date(2023, 12, 31))
    make_licence(receiver, suffix="new", scopes="HW08 R9")
    decision = services.check_receipt(receiver, "900-041-49", 1000, DAY)
    assert decision.reason_code == "code_out_of_scope" and decision.licence.number.endswith("new号")
    assert services.check_receipt(receiver, "900-249-08", 1000, DAY).allowed


def test_require_receipt_raises_with_the_reason_as_code(receiver, make_licence):
    make_licence(receiver, scopes="HW08 R9")
    with pytest.raises(DomainError) as exc:
        services.require_receipt(receiver, "900-041-49", 1000, DAY)
    assert exc.value.code == "code_out_of_scope" and exc.value.status == 422
    assert services.require_receipt(receiver, "900-249-08", 1000, DAY).allowed


def test_non_hazardous_waste_needs_no_licence(receiver):
    decision = services.check_receipt(receiver, "SW01", 1000, DAY)
    assert (decision.allowed, decision.reason_code) == (True, "licence_not_required")


@pytest.mark.parametrize(("code", "grams", "field"), [("999-999-99", 1000, "waste_code"), ("", 1000, "waste_code"),
                                                     ("900-041-49", 0, "quantity_g"),
                                                     ("900-041-49", -5, "quantity_g")])
def test_bad_input_is_refused_naming_the_field(receiver, code, grams, field):
    with pytest.raises(DomainError) as exc:
        services.check_receipt(receiver, code, grams, DAY)
    assert field in exc.value.fields
