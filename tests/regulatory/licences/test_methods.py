"""Issue 14 point 1: the receipt check knows the R/D methods each scope permits (service and API)."""
import pytest

from portal.errors import DomainError
from portal.regulatory.licences import services
from tests.regulatory.licences.conftest import DAY, TONNE
from tests.regulatory.licences.test_licence_pages import _licence


def test_a_method_within_the_scope_is_allowed_and_one_outside_refused(ctx, receiver, make_licence):
    make_licence(receiver)  # HW08 R9 D10, 900-041-49 D10
    assert services.check_receipt(receiver, "900-249-08", TONNE, DAY, "r9").allowed
    refused = services.check_receipt(receiver, "900-041-49", TONNE, DAY, "R9")
    assert (refused.allowed, refused.reason_code, refused.methods) == (False, "method_out_of_scope", ["D10"])
    assert "R9" in refused.message and "D10" in refused.message
    assert services.check_receipt(receiver, "900-041-49", TONNE, DAY).allowed  # no method: not asked


def test_a_method_is_weighed_after_the_code_and_before_the_capacity(ctx, receiver, make_licence):
    make_licence(receiver, scopes="900-041-49 D10", suffix="narrow")
    make_licence(receiver, scopes="HW08 R9", suffix="wide")
    # HW08 does not cover this HW49 code; the other covers it but not by R9, so it came closer
    assert services.check_receipt(receiver, "900-041-49", TONNE, DAY, "R9").reason_code == "method_out_of_scope"
    over = services.check_receipt(receiver, "900-041-49", 11 * TONNE, DAY, "D10")
    assert over.reason_code == "capacity_exceeded"


@pytest.mark.parametrize("method", ["D19", "R0", "X1", ""])
def test_an_unknown_method_is_a_field_error(ctx, receiver, make_licence, method):
    make_licence(receiver)
    with pytest.raises(DomainError) as exc:
        services.check_receipt(receiver, "900-041-49", TONNE, DAY, method)
    assert set(exc.value.fields) == {"method"}


def test_the_api_answers_method_out_of_scope(app, client, factory, receiver, make_licence):
    _licence(app, make_licence, receiver)
    admin = factory.user()
    generator = factory.org(admin=admin, is_generator=True)
    headers = {"Authorization": f"Bearer {factory.token(admin, generator)}"}
    url = f"/api/v1/licences/check?org={receiver.id}&code=900-041-49&quantity_kg=1&date=2026-06-15&method="
    refused = client.get(url + "D1", headers=headers)
    assert refused.status_code == 200
    assert (refused.json["allowed"], refused.json["reason_code"]) == (False, "method_out_of_scope")
    assert refused.json["methods"] == ["D10"]
    assert client.get(url + "d10", headers=headers).json["allowed"] is True
    assert client.get(url + "D19", headers=headers).status_code == 422
    assert "method" in client.get(url + "D100", headers=headers).json["error"]["fields"]
