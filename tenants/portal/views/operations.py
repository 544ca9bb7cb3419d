"""Operations (read-only): orders, shipments with tracking, inventory per warehouse, inbound and returns.

So a client's support person can answer "where is order SO-100423" without the
ERP. Every query goes through `for_scope(request.portal.scope)`.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from fulfillment import models as fm
from tenants.portal.access import portal_view
from tenants.portal.views.common import clean_query, paginate


@portal_view("operations.view")
@require_safe
def operations_home(request):
    return redirect("portal:orders")


@portal_view("operations.view")
@require_safe
def order_list(request):
    scope = request.portal.scope
    q = clean_query(request.GET.get("q"))
    status = request.GET.get("status", "")
    orders = fm.Order.objects.for_scope(scope).select_related("warehouse", "shipping_method")
    if q:
        matching_lines = fm.OrderLine.objects.filter(
            order__tenant_id=scope.tenant.id, order__environment=scope.environment, sku__iexact=q
        ).values("order_id")
        orders = orders.filter(
            Q(order_number__iexact=q)
            | Q(order_number__istartswith=q)
            | Q(reference__iexact=q)
            | Q(public_id=q)
            | Q(id__in=matching_lines)
        )
    if status in fm.OrderStatus.values:
        orders = orders.filter(status=status)
    page, query = paginate(request, orders.order_by("-created_at", "-id"))
    return render(
        request,
        "portal/ops/orders.html",
        {
            "title": "Orders",
            "page": page,
            "query": query,
            "q": q,
            "status": status,
            "statuses": fm.OrderStatus.choices,
        },
    )


@portal_view("operations.view")
@require_safe
def order_detail(request, public_id: str):
    scope = request.portal.scope
    order = (
        fm.Order.objects.for_scope(scope)
        .select_related("warehouse", "shipping_method__carrier")
        .filter(public_id=public_id)
        .first()
    )
    if order is None:
        raise Http404("No such order.")
    shipments = (
        fm.Shipment.objects.for_scope(scope)
        .filter(order=order)
        .select_related("warehouse")
        .prefetch_related(Prefetch("parcels", queryset=fm.Parcel.objects.select_related("carrier")), "items")
        .order_by("shipped_at")
    )
    return render(
        request,
        "portal/ops/order_detail.html",
        {
            "title": f"Order {order.order_number}",
            "order": order,
            "lines": order.lines.order_by("line_number"),
            "shipments": shipments,
            "history": order.history.order_by("-created_at", "-id")[:50],
        },
    )


@portal_view("operations.view")
@require_safe
def shipment_list(request):
    scope = request.portal.scope
    q = clean_query(request.GET.get("q"))
    shipments = (
        fm.Shipment.objects.for_scope(scope)
        .select_related("order", "warehouse")
        .prefetch_related(Prefetch("parcels", queryset=fm.Parcel.objects.select_related("carrier")))
    )
    if q:
        shipments = shipments.filter(
            Q(public_id=q)
            | Q(order__order_number__iexact=q)
            | Q(order__reference__iexact=q)
            | Q(parcels__tracking_number=q)
            | Q(items__sku__iexact=q)
        ).distinct()
    page, query = paginate(request, shipments.order_by("-shipped_at", "-id"))
    return render(request, "portal/ops/shipments.html", {"title": "Shipments", "page": page, "query": query, "q": q})


@portal_view("operations.view")
@require_safe
def inventory(request):
    scope = request.portal.scope
    q = clean_query(request.GET.get("q"))
    warehouse = request.GET.get("warehouse", "")
    levels = fm.StockLevel.objects.for_scope(scope).select_related("product", "warehouse")
    if q:
        levels = levels.filter(Q(product__sku__iexact=q) | Q(product__sku__istartswith=q) | Q(product__barcode=q))
    if warehouse:
        levels = levels.filter(warehouse__public_id=warehouse)
    warehouses = fm.Warehouse.objects.filter(
        id__in=fm.StockLevel.objects.for_scope(scope).values("warehouse_id")
    ).order_by("public_id")
    page, query = paginate(request, levels.order_by("warehouse__public_id", "product__sku"), per_page=100)
    return render(
        request,
        "portal/ops/inventory.html",
        {
            "title": "Inventory",
            "page": page,
            "query": query,
            "q": q,
            "warehouse": warehouse,
            "warehouses": warehouses,
        },
    )


def _optional_model(name: str):
    return getattr(fm, name, None)


def _generic_list(request, model_name: str, title: str, template: str, search_fields: list[str]):
    """Inbound shipments and returns land with another issue; until then the page says so."""
    model = _optional_model(model_name)
    q = clean_query(request.GET.get("q"))
    if model is None:
        return render(request, template, {"title": title, "available": False, "q": q})
    rows = model.objects.for_scope(request.portal.scope)
    related = [
        f.name for f in model._meta.get_fields() if f.many_to_one and f.name in ("warehouse", "order", "carrier")
    ]
    if related:
        rows = rows.select_related(*related)
    if q:
        condition = Q()
        names = {f.name for f in model._meta.get_fields()}
        for field in search_fields:
            if field.split("__")[0] in names:
                condition |= Q(**{f"{field}__iexact": q})
        rows = rows.filter(condition).distinct() if condition else rows.none()
    page, query = paginate(request, rows.order_by("-created_at", "-id"))
    return render(request, template, {"title": title, "available": True, "page": page, "query": query, "q": q})


@portal_view("operations.view")
@require_safe
def inbound_list(request):
    return _generic_list(
        request,
        "InboundShipment",
        "Inbound shipments",
        "portal/ops/inbound.html",
        ["public_id", "reference", "supplier", "items__sku"],
    )


@portal_view("operations.view")
@require_safe
def return_list(request):
    return _generic_list(
        request,
        "Return",
        "Returns",
        "portal/ops/returns.html",
        ["public_id", "rma", "order_number", "order__reference", "items__sku"],
    )
