"""Staff admin for orders and products: search, filters, history, and actions that go through the services."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from fulfillment.models import Order, OrderHistory
from tests.fulfillment.orders_support import order_body, stock_set

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/fulfillment/order/"


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("staffer", "staff@example.com", "pw-staff-123")
    client.force_login(user)
    return client


@pytest.fixture
def orders(sandbox, tenant):
    stock_set(tenant, "sandbox", "WIDGET-BLUE-M", "wh_syd_1", 10)
    a = sandbox.post("/v1/orders", order_body(reference="REF-A", order_number="SO-A")).json()
    b = sandbox.post("/v1/orders", order_body(reference="REF-B", order_number="SO-B")).json()
    return Order.objects.get(public_id=a["id"]), Order.objects.get(public_id=b["id"])


def _listed(response) -> set[str]:
    return {o.public_id for o in response.context["cl"].result_list}


def test_search_by_number_reference_and_tenant(staff, orders):
    a, b = orders
    assert _listed(staff.get(CHANGELIST, {"q": "SO-A"})) == {a.public_id}
    assert _listed(staff.get(CHANGELIST, {"q": "REF-B"})) == {b.public_id}
    assert _listed(staff.get(CHANGELIST, {"q": "acme"})) == {a.public_id, b.public_id}
    assert _listed(staff.get(CHANGELIST, {"q": "nothing-like-it"})) == set()


def test_filter_by_status(staff, orders):
    a, b = orders
    staff.post(CHANGELIST, {"action": "put_on_hold", "_selected_action": [a.pk]})
    assert _listed(staff.get(CHANGELIST, {"status__exact": "on_hold"})) == {a.public_id}
    assert _listed(staff.get(CHANGELIST, {"status__exact": "received"})) == {b.public_id}


def test_hold_release_and_start_picking_actions_record_history(staff, orders):
    a, _ = orders
    staff.post(CHANGELIST, {"action": "put_on_hold", "_selected_action": [a.pk]})
    a.refresh_from_db()
    assert (a.status, a.version) == ("on_hold", 2)
    staff.post(CHANGELIST, {"action": "release_hold", "_selected_action": [a.pk]})
    a.refresh_from_db()
    assert (a.status, a.version) == ("received", 3)
    staff.post(CHANGELIST, {"action": "start_picking", "_selected_action": [a.pk]})
    a.refresh_from_db()
    assert (a.status, a.version) == ("processing", 4)
    kinds = list(OrderHistory.objects.filter(order=a).values_list("kind", "from_status", "to_status", "actor_label"))
    assert kinds[1:] == [
        ("hold", "received", "on_hold", "staff:staffer"),
        ("release", "on_hold", "received", "staff:staffer"),
        ("picking_started", "received", "processing", "staff:staffer"),
    ]
    assert OrderHistory.objects.filter(order=a, kind="hold").get().actor_user.username == "staffer"


def test_invalid_transition_from_admin_is_refused_with_message(staff, orders):
    a, _ = orders
    staff.post(CHANGELIST, {"action": "start_picking", "_selected_action": [a.pk]})
    response = staff.post(CHANGELIST, {"action": "start_picking", "_selected_action": [a.pk]}, follow=True)
    a.refresh_from_db()
    assert (a.status, a.version) == ("processing", 2)
    assert any("cannot become processing" in str(m) for m in response.context["messages"])


def test_change_page_shows_lines_and_full_history(staff, orders, sandbox):
    a, _ = orders
    sandbox.patch(f"/v1/orders/{a.public_id}", {"packing_note": "Use side gate"})
    sandbox.post(f"/v1/orders/{a.public_id}/cancel")
    response = staff.get(f"{CHANGELIST}{a.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "created",
        "amended",
        "cancelled",
        "Use side gate",
        "WIDGET-BLUE-M",
        sandbox.issued.connection.public_id,
    ):
        assert text in html


def test_product_admin_lists_and_searches(staff, orders):
    response = staff.get("/admin/fulfillment/product/", {"q": "WIDGET-BLUE"})
    assert response.status_code == 200
    assert [p.sku for p in response.context["cl"].result_list] == ["WIDGET-BLUE-M"]
