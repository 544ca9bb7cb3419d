"""Staff warehouse operations on shipments: ship an order, carrier status updates, void, mark delivered.

Everything calls the services in fulfillment/services/shipments.py, exactly
as the API and the sandbox do; admin never edits shipment rows directly.

Ship an order: Shipments → "Ship an order" (the add page), or directly
/admin/fulfillment/shipment/ship/<ord_…>/ (the order admin can link there).
The form lists the order's lines with what is allocated and unshipped; staff
choose quantities (a partial shipment is fine) and one row per parcel.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from config.api.errors import ApiError
from fulfillment.models import Carrier, Order, Parcel, Shipment, ShipmentItem, ShipmentStatus
from fulfillment.services.shipments import (
    ParcelSpec,
    ShipItemSpec,
    shipment_create,
    shipment_mark_delivered,
    shipment_status_update,
    shipment_void,
)


def staff_label(request) -> str:
    return f"staff:{request.user.get_username()}"


class ParcelInline(admin.TabularInline):
    model = Parcel
    extra = 0
    can_delete = False
    fields = ["tracking_number", "carrier", "service", "weight_value", "weight_unit", "length", "width", "height"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ShipmentItemInline(admin.TabularInline):
    model = ShipmentItem
    extra = 0
    can_delete = False
    fields = ["sku", "quantity", "order_line"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class OrderPickForm(forms.Form):
    order = forms.CharField(label="Order id or order number", max_length=100)


class ShipHeaderForm(forms.Form):
    carrier = forms.ModelChoiceField(queryset=Carrier.objects.all())
    service = forms.CharField(max_length=100)
    cost_amount = forms.DecimalField(required=False, max_digits=12, decimal_places=2, min_value=Decimal("0"))
    cost_currency = forms.CharField(required=False, max_length=3, initial="AUD")


class ParcelForm(forms.Form):
    tracking_number = forms.CharField(max_length=64, required=False)
    weight_kg = forms.DecimalField(required=False, max_digits=10, decimal_places=3, min_value=Decimal("0"))
    length_cm = forms.DecimalField(required=False, max_digits=10, decimal_places=2, min_value=Decimal("0"))
    width_cm = forms.DecimalField(required=False, max_digits=10, decimal_places=2, min_value=Decimal("0"))
    height_cm = forms.DecimalField(required=False, max_digits=10, decimal_places=2, min_value=Decimal("0"))


ParcelFormSet = forms.formset_factory(ParcelForm, extra=3, max_num=50)


class ItemsForm(forms.Form):
    """One quantity field per order line, preset to what is allocated and not yet shipped."""

    def __init__(self, *args, order: Order, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(order.lines.order_by("line_number"))
        for line in self.lines:
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=f"{line.sku} (ordered {line.quantity}, shipped {line.quantity_shipped}, "
                f"allocated {line.quantity_allocated})",
                min_value=0,
                initial=line.quantity_allocated,
                required=False,
            )

    def items(self) -> list[ShipItemSpec]:
        out = []
        for line in self.lines:
            quantity = self.cleaned_data.get(f"line_{line.pk}") or 0
            if quantity:
                out.append(ShipItemSpec(sku=line.sku, quantity=quantity))
        return out


def _run_each(modeladmin, request, queryset, fn, done: str) -> None:
    ok = 0
    for shipment in queryset:
        try:
            fn(shipment)
            ok += 1
        except ApiError as error:
            modeladmin.message_user(request, f"{shipment.public_id}: {error.message} ({error.code})", messages.ERROR)
    if ok:
        modeladmin.message_user(request, f"{ok} shipment(s) {done}.", messages.SUCCESS)


def _status_action(to_status: str, label: str):
    def action(modeladmin, request, queryset):
        _run_each(
            modeladmin,
            request,
            queryset,
            lambda s: shipment_status_update(
                shipment_id=s.pk, to_status=to_status, actor_label=staff_label(request), actor_user=request.user
            ),
            f"marked {label}",
        )

    action.__name__ = f"mark_{to_status}"
    return admin.action(description=f"Carrier status: {label}", permissions=["change"])(action)


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ["public_id", "order_number", "tenant", "environment", "status", "voided", "shipped_at"]
    list_filter = ["status", "voided", "environment", "warehouse"]
    search_fields = ["public_id", "parcels__tracking_number", "order__order_number", "order__public_id"]
    list_select_related = ["order", "tenant"]
    inlines = [ParcelInline, ShipmentItemInline]
    readonly_fields = [
        "public_id",
        "tenant",
        "environment",
        "order",
        "warehouse",
        "status",
        "shipped_at",
        "cost_amount",
        "cost_currency",
        "voided",
        "voided_at",
        "delivered_at",
        "created_at",
        "updated_at",
    ]
    fields = readonly_fields
    actions = [
        _status_action(ShipmentStatus.IN_TRANSIT, "in transit"),
        _status_action(ShipmentStatus.OUT_FOR_DELIVERY, "out for delivery"),
        _status_action(ShipmentStatus.EXCEPTION, "exception"),
        "mark_delivered",
        "void_label",
    ]

    @admin.display(description="Order number", ordering="order__order_number")
    def order_number(self, obj):
        return obj.order.order_number

    def has_delete_permission(self, request, obj=None):
        # Voided labels stay so ERPs can reconcile; never delete a shipment.
        return False

    @admin.action(description="Mark delivered", permissions=["change"])
    def mark_delivered(self, request, queryset):
        _run_each(
            self,
            request,
            queryset,
            lambda s: shipment_mark_delivered(
                shipment_id=s.pk, actor_label=staff_label(request), actor_user=request.user
            ),
            "marked delivered",
        )

    @admin.action(description="Void label (units go back to allocated)", permissions=["change"])
    def void_label(self, request, queryset):
        _run_each(
            self,
            request,
            queryset,
            lambda s: shipment_void(shipment_id=s.pk, actor_label=staff_label(request), actor_user=request.user),
            "voided",
        )

    # --- Ship an order ---------------------------------------------------------

    def get_urls(self):
        custom = [
            path(
                "ship/<str:order_public_id>/",
                self.admin_site.admin_view(self.ship_order_view),
                name="fulfillment_shipment_ship",
            ),
        ]
        return custom + super().get_urls()

    def add_view(self, request, form_url="", extra_context=None):
        """The add page asks which order to ship, then goes to the ship form."""
        if not self.has_add_permission(request):
            raise DjangoPermissionDenied
        form = OrderPickForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            value = form.cleaned_data["order"].strip()
            orders = Order.objects.filter(public_id=value) if value.startswith("ord_") else None
            if orders is None or not orders.exists():
                orders = Order.objects.filter(order_number=value)
            found = list(orders[:2])
            if len(found) == 1:
                return HttpResponseRedirect(reverse("admin:fulfillment_shipment_ship", args=[found[0].public_id]))
            form.add_error("order", "No such order." if not found else "Several orders have that number; use its id.")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Ship an order",
            "form": form,
        }
        return TemplateResponse(request, "admin/fulfillment/shipment/pick_order.html", context)

    def ship_order_view(self, request, order_public_id: str):
        if not self.has_add_permission(request):
            raise DjangoPermissionDenied
        order = get_object_or_404(
            Order.objects.select_related("shipping_method__carrier", "tenant", "warehouse"), public_id=order_public_id
        )
        method = order.shipping_method
        header = ShipHeaderForm(
            request.POST or None,
            initial={"carrier": method.carrier if method else None, "service": method.name if method else ""},
        )
        parcels = ParcelFormSet(request.POST or None, prefix="parcels")
        items = ItemsForm(request.POST or None, order=order, prefix="items")
        if request.method == "POST" and header.is_valid() and parcels.is_valid() and items.is_valid():
            specs = [
                ParcelSpec(
                    tracking_number=p["tracking_number"],
                    carrier=header.cleaned_data["carrier"],
                    service=header.cleaned_data["service"],
                    weight_value=p.get("weight_kg"),
                    weight_unit="kg",
                    length=p.get("length_cm") if p.get("width_cm") and p.get("height_cm") else None,
                    width=p.get("width_cm") if p.get("length_cm") and p.get("height_cm") else None,
                    height=p.get("height_cm") if p.get("length_cm") and p.get("width_cm") else None,
                    dimension_unit="cm",
                )
                for p in parcels.cleaned_data
                if p.get("tracking_number")
            ]
            chosen = items.items()
            cost = header.cleaned_data.get("cost_amount")
            try:
                if not chosen:
                    raise _Refused("Choose at least one quantity to ship.")
                shipment = shipment_create(
                    tenant=order.tenant,
                    environment=order.environment,
                    order_id=order.pk,
                    parcels=specs,
                    items=chosen,
                    cost_amount=cost,
                    cost_currency=(header.cleaned_data.get("cost_currency") or "").upper() if cost is not None else "",
                    actor_label=staff_label(request),
                    actor_user=request.user,
                )
            except (ApiError, _Refused) as error:
                self.message_user(request, f"Not shipped: {error}", messages.ERROR)
            else:
                self.message_user(request, f"Shipped {shipment.public_id} for {order.order_number}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:fulfillment_shipment_change", args=[shipment.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Ship order {order.order_number} ({order.public_id})",
            "order": order,
            "header": header,
            "parcels": parcels,
            "items": items,
        }
        return TemplateResponse(request, "admin/fulfillment/shipment/ship_order.html", context)


class _Refused(Exception):
    """A form-level refusal before the service is called."""
