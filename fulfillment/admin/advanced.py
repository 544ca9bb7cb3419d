"""Staff admin for the advanced flows: receive ASNs, record inventory adjustments, receive and process returns.

Every write goes through the services (fulfillment/services/inbound.py,
adjustments.py, returns.py), exactly as the API and the sandbox do; the
records themselves are read-only here.

* ASN: "Receive" on its page (or /admin/fulfillment/inboundshipment/<pk>/receive/)
  records one receipt — quantities per line, a "final" checkbox that closes it.
  The "Cancel" action cancels ASNs nothing has been received against.
* Adjustments: the add page records a signed delta, or a cycle count entered
  as "counted N" that becomes the delta. Refusals are shown on the form.
* Returns: "Receive" on an expected return's page; the add page receives a
  return that nobody announced (with or without an order); the "Mark
  processed" action closes received returns.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from config.api.errors import ApiError
from fulfillment.models import (
    AdjustmentReason,
    InboundItem,
    InboundReceipt,
    InboundShipment,
    InboundStatus,
    InventoryAdjustment,
    Order,
    Product,
    Return,
    ReturnCondition,
    ReturnItem,
    ReturnStatus,
    Warehouse,
)
from fulfillment.services.adjustments import adjustment_record
from fulfillment.services.inbound import ReceiptLineInput, inbound_cancel, inbound_receive
from fulfillment.services.returns import (
    ReturnReceiptInput,
    return_process,
    return_receive,
    return_record_unannounced,
)
from tenants.models import Environment, Tenant

TEMPLATE = "admin/fulfillment/advanced/form.html"


def staff_label(request) -> str:
    return f"staff:{request.user.get_username()}"


def show_refusal(form: forms.Form, error: ApiError, field_map: dict[str, str] | None = None) -> None:
    """Put a service refusal on the form: on the field it names when the form has it, else on top."""
    field = (field_map or {}).get(error.field or "", error.field)
    form.add_error(field if field in form.fields else None, error.message)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records change only through services; their admin pages only show them."""

    def has_delete_permission(self, request, obj=None):
        return False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The change page only shows the record; edits go through the receive/record pages and actions.
        if object_id is not None and request.method == "POST":
            raise DjangoPermissionDenied
        extra_context = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + list(self.readonly_extra)

    readonly_extra: tuple[str, ...] = ()

    def render_form_page(self, request, *, title, intro="", form=None, formset=None, formset_title="", submit):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "changelist_url": f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_changelist",
            "title": title,
            "intro": intro,
            "form": form,
            "formset": formset,
            "formset_title": formset_title,
            "submit_label": submit,
        }
        return TemplateResponse(request, TEMPLATE, context)


# --- Inbound shipments ------------------------------------------------------------------------


class InboundItemInline(admin.TabularInline):
    model = InboundItem
    extra = 0
    can_delete = False
    fields = ["line_number", "sku", "expected_quantity", "received_quantity", "discrepancy_shown"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="discrepancy")
    def discrepancy_shown(self, item):
        return f"{item.discrepancy:+d}"


class InboundReceiptInline(admin.TabularInline):
    model = InboundReceipt
    extra = 0
    can_delete = False
    fields = ["received_at", "final", "actor", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class InboundReceiveForm(forms.Form):
    """One field per ASN line (units counted in now), plus whether this receipt closes the ASN."""

    final = forms.BooleanField(
        required=False,
        initial=True,
        help_text="Final receipt: close the ASN as received; any shortfall stops counting as incoming.",
    )
    note = forms.CharField(required=False, max_length=300)

    def __init__(self, *args, inbound: InboundShipment, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(inbound.items.all())
        for item in self.items:
            self.fields[f"qty_{item.pk}"] = forms.IntegerField(
                label=f"{item.sku} (expected {item.expected_quantity}, received so far {item.received_quantity})",
                min_value=0,
                max_value=1_000_000,
                initial=item.outstanding,
            )

    def lines(self) -> list[ReceiptLineInput]:
        return [
            ReceiptLineInput(sku=item.sku, quantity=self.cleaned_data[f"qty_{item.pk}"] or 0)
            for item in self.items
            if self.cleaned_data.get(f"qty_{item.pk}")
        ]


@admin.register(InboundShipment)
class InboundShipmentAdmin(ReadOnlyAdmin):
    list_display = [
        "public_id",
        "reference",
        "tenant",
        "environment",
        "warehouse",
        "status",
        "expected_at",
        "received_at",
        "receive_link",
    ]
    list_filter = ["status", "environment", "warehouse", "tenant"]
    search_fields = ["public_id", "reference", "supplier", "tenant__slug", "tenant__name"]
    list_select_related = ["tenant", "warehouse"]
    inlines = [InboundItemInline, InboundReceiptInline]
    readonly_extra = ("receive_link",)
    actions = ["cancel_selected"]

    def has_add_permission(self, request):
        return False  # ERPs announce ASNs through POST /v1/inbound-shipments.

    @admin.display(description="receive")
    def receive_link(self, inbound):
        if inbound.pk is None or inbound.status not in (InboundStatus.EXPECTED, InboundStatus.PARTIALLY_RECEIVED):
            return "—"
        return format_html(
            '<a href="{}">Receive…</a>', reverse("admin:fulfillment_inboundshipment_receive", args=[inbound.pk])
        )

    def get_urls(self):
        custom = [
            path(
                "<int:pk>/receive/",
                self.admin_site.admin_view(self.receive_view),
                name="fulfillment_inboundshipment_receive",
            )
        ]
        return custom + super().get_urls()

    def receive_view(self, request, pk: int):
        if not super().has_change_permission(request):
            raise DjangoPermissionDenied
        inbound = get_object_or_404(InboundShipment.objects.select_related("tenant", "warehouse"), pk=pk)
        form = InboundReceiveForm(request.POST or None, inbound=inbound)
        if request.method == "POST" and form.is_valid():
            try:
                inbound_receive(
                    tenant=inbound.tenant,
                    environment=inbound.environment,
                    inbound=inbound,
                    lines=form.lines(),
                    final=form.cleaned_data["final"],
                    actor=staff_label(request),
                    note=form.cleaned_data["note"],
                )
            except ApiError as error:
                show_refusal(form, error)
            else:
                inbound.refresh_from_db()
                self.message_user(
                    request, f"Receipt recorded; {inbound.reference} is now {inbound.status}.", messages.SUCCESS
                )
                return HttpResponseRedirect(reverse("admin:fulfillment_inboundshipment_change", args=[inbound.pk]))
        return self.render_form_page(
            request,
            title=f"Receive {inbound.reference} ({inbound.public_id})",
            intro=f"{inbound.tenant} [{inbound.environment}] · {inbound.warehouse.public_id} · status {inbound.status}",
            form=form,
            submit="Record receipt",
        )

    @admin.action(description="Cancel (only if nothing was received)", permissions=["change"])
    def cancel_selected(self, request, queryset):
        done = 0
        for inbound in queryset:
            try:
                inbound_cancel(
                    tenant=inbound.tenant, environment=inbound.environment, inbound=inbound, actor=staff_label(request)
                )
                done += 1
            except ApiError as error:
                self.message_user(request, f"{inbound.reference}: {error.message}", messages.ERROR)
        if done:
            self.message_user(request, f"Cancelled {done} inbound shipment(s).", messages.SUCCESS)


# --- Inventory adjustments --------------------------------------------------------------------


class AdjustmentForm(forms.Form):
    """A signed delta, or a cycle count entered as what was counted."""

    tenant = forms.ModelChoiceField(queryset=Tenant.objects.all())
    environment = forms.ChoiceField(choices=Environment.choices, initial=Environment.LIVE)
    sku = forms.CharField(max_length=100)
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.filter(is_active=True))
    reason = forms.ChoiceField(choices=AdjustmentReason.choices)
    quantity_delta = forms.IntegerField(
        required=False, help_text="Signed: −3 removes three units, 5 adds five.", min_value=-1_000_000_000
    )
    counted_quantity = forms.IntegerField(
        required=False, min_value=0, label="Counted", help_text='Cycle count: "counted N" — the delta is N − on hand.'
    )
    note = forms.CharField(required=False, max_length=300)

    def clean(self):
        data = super().clean()
        if (data.get("quantity_delta") is None) == (data.get("counted_quantity") is None):
            raise forms.ValidationError("Fill in either the quantity delta or the counted quantity.")
        if data.get("counted_quantity") is not None and data.get("reason") != AdjustmentReason.CYCLE_COUNT:
            self.add_error("reason", "A counted quantity is for the cycle_count reason.")
        tenant, environment, sku = data.get("tenant"), data.get("environment"), (data.get("sku") or "").strip()
        if tenant and environment and sku:
            product = Product.objects.filter(tenant=tenant, environment=environment, sku=sku, deleted_at=None).first()
            if product is None:
                self.add_error("sku", f"{tenant} has no SKU {sku} in {environment}.")
            data["product"] = product
        return data


@admin.register(InventoryAdjustment)
class InventoryAdjustmentAdmin(ReadOnlyAdmin):
    list_display = [
        "public_id",
        "sku",
        "warehouse",
        "quantity_delta",
        "reason",
        "tenant",
        "environment",
        "adjusted_at",
        "actor",
    ]
    list_filter = ["reason", "environment", "warehouse", "tenant"]
    search_fields = ["public_id", "sku", "note", "tenant__slug", "tenant__name"]
    list_select_related = ["tenant", "warehouse"]

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise DjangoPermissionDenied
        form = AdjustmentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                adjustment = adjustment_record(
                    tenant=data["tenant"],
                    environment=data["environment"],
                    product=data["product"],
                    warehouse=data["warehouse"],
                    reason=data["reason"],
                    quantity_delta=data.get("quantity_delta"),
                    counted_quantity=data.get("counted_quantity"),
                    note=data.get("note") or "",
                    actor=staff_label(request),
                )
            except ApiError as error:
                show_refusal(form, error)
            else:
                self.message_user(
                    request,
                    f"Recorded {adjustment.public_id}: {adjustment.sku} {adjustment.quantity_delta:+d} "
                    f"at {adjustment.warehouse.public_id} ({adjustment.reason}).",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:fulfillment_inventoryadjustment_changelist"))
        return self.render_form_page(
            request,
            title="Record an inventory adjustment",
            intro="On hand may not go negative or below what is allocated to orders.",
            form=form,
            submit="Record adjustment",
        )


# --- Returns ----------------------------------------------------------------------------------


class ReturnItemInline(admin.TabularInline):
    model = ReturnItem
    extra = 0
    can_delete = False
    fields = ["line_number", "sku", "quantity_expected", "quantity_received", "condition", "restocked"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


RESTOCK_CHOICES = [("", "Default (resellable only)"), ("yes", "Restock"), ("no", "Do not restock")]


class ReturnLineForm(forms.Form):
    sku = forms.CharField(max_length=100, required=False)
    quantity = forms.IntegerField(min_value=0, max_value=1_000_000, required=False)
    condition = forms.ChoiceField(choices=[("", "—")] + list(ReturnCondition.choices), required=False)
    restocked = forms.ChoiceField(choices=RESTOCK_CHOICES, required=False, label="Restock")

    def clean(self):
        data = super().clean()
        if data.get("quantity") and not data.get("sku"):
            self.add_error("sku", "Which SKU?")
        if data.get("quantity") and not data.get("condition"):
            self.add_error("condition", "Choose the condition.")
        return data


ReturnLineFormSet = forms.formset_factory(ReturnLineForm, extra=3)
# Prefilled rows that staff leave as they are must still count, so no row is skipped as "unchanged".
ROW_KWARGS = {"empty_permitted": False}


def receipt_inputs(formset) -> list[ReturnReceiptInput]:
    """Rows with a quantity become receipt lines; empty rows are ignored."""
    return [
        ReturnReceiptInput(
            sku=row["sku"].strip(),
            quantity=row["quantity"],
            condition=row["condition"],
            restocked={"yes": True, "no": False}.get(row.get("restocked") or ""),
        )
        for row in formset.cleaned_data
        if row and row.get("quantity")
    ]


class UnannouncedReturnForm(forms.Form):
    tenant = forms.ModelChoiceField(queryset=Tenant.objects.all())
    environment = forms.ChoiceField(choices=Environment.choices, initial=Environment.LIVE)
    order = forms.CharField(required=False, help_text="Order id (ord_…) or order number, if known.")
    warehouse = forms.ModelChoiceField(
        queryset=Warehouse.objects.filter(is_active=True), required=False, help_text="Defaults to the order's."
    )
    rma = forms.CharField(required=False, max_length=100, label="RMA", help_text="If the parcel carried one.")
    note = forms.CharField(required=False, max_length=300)

    def clean(self):
        data = super().clean()
        tenant, environment, value = data.get("tenant"), data.get("environment"), (data.get("order") or "").strip()
        data["order_obj"] = None
        if tenant and environment and value:
            scoped = Order.objects.filter(tenant=tenant, environment=environment)
            found = list((scoped.filter(public_id=value) if value.startswith("ord_") else scoped.none())[:1])
            found = found or list(scoped.filter(order_number=value)[:2])
            if len(found) != 1:
                self.add_error(
                    "order", "No such order." if not found else "Several orders have that number; use its id."
                )
            else:
                data["order_obj"] = found[0]
        if not data.get("warehouse") and not data.get("order_obj") and not self.errors:
            self.add_error("warehouse", "Choose the warehouse (there is no order to take it from).")
        return data


@admin.register(Return)
class ReturnAdmin(ReadOnlyAdmin):
    list_display = [
        "public_id",
        "rma",
        "order_number",
        "tenant",
        "environment",
        "status",
        "warehouse",
        "received_at",
        "receive_link",
    ]
    list_filter = ["status", "environment", "warehouse", "tenant"]
    search_fields = ["public_id", "rma", "order_number", "tenant__slug", "tenant__name"]
    list_select_related = ["tenant", "warehouse"]
    inlines = [ReturnItemInline]
    readonly_extra = ("receive_link",)
    actions = ["process_selected"]

    @admin.display(description="receive")
    def receive_link(self, ret):
        if ret.pk is None or ret.status != ReturnStatus.EXPECTED:
            return "—"
        return format_html('<a href="{}">Receive…</a>', reverse("admin:fulfillment_return_receive", args=[ret.pk]))

    def get_urls(self):
        custom = [
            path("<int:pk>/receive/", self.admin_site.admin_view(self.receive_view), name="fulfillment_return_receive")
        ]
        return custom + super().get_urls()

    def receive_view(self, request, pk: int):
        if not super().has_change_permission(request):
            raise DjangoPermissionDenied
        ret = get_object_or_404(Return.objects.select_related("tenant", "warehouse"), pk=pk)
        initial = [
            {"sku": item.sku, "quantity": item.quantity_expected, "condition": ReturnCondition.RESELLABLE}
            for item in ret.items.all()
        ]
        formset = ReturnLineFormSet(request.POST or None, initial=initial, prefix="items", form_kwargs=ROW_KWARGS)
        if request.method == "POST" and formset.is_valid():
            try:
                return_receive(
                    tenant=ret.tenant,
                    environment=ret.environment,
                    ret=ret,
                    items=receipt_inputs(formset),
                    actor=staff_label(request),
                )
            except ApiError as error:
                self.message_user(
                    request, f"Not received: {error.message} ({error.field or error.code})", messages.ERROR
                )
            else:
                self.message_user(request, f"Return {ret.public_id} received.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:fulfillment_return_change", args=[ret.pk]))
        return self.render_form_page(
            request,
            title=f"Receive return {ret.rma or ret.public_id}",
            intro=f"{ret.tenant} [{ret.environment}] · order {ret.order_number or '—'} · {ret.warehouse.public_id}",
            formset=formset,
            formset_title="What came back (one row per SKU and condition)",
            submit="Record return",
        )

    def add_view(self, request, form_url="", extra_context=None):
        """Receive a return nobody announced: header (tenant, order if known, warehouse) and the lines."""
        if not self.has_add_permission(request):
            raise DjangoPermissionDenied
        form = UnannouncedReturnForm(request.POST or None)
        formset = ReturnLineFormSet(request.POST or None, prefix="items", form_kwargs=ROW_KWARGS)
        if request.method == "POST" and form.is_valid() and formset.is_valid():
            data = form.cleaned_data
            order = data["order_obj"]
            try:
                ret = return_record_unannounced(
                    tenant=data["tenant"],
                    environment=data["environment"],
                    warehouse=data.get("warehouse") or order.warehouse,
                    order=order,
                    rma=(data.get("rma") or "").strip() or None,
                    items=receipt_inputs(formset),
                    actor=staff_label(request),
                    note=data.get("note") or "",
                )
            except ApiError as error:
                show_refusal(form, error, {"items": "__all__"})
                self.message_user(
                    request, f"Not received: {error.message} ({error.field or error.code})", messages.ERROR
                )
            else:
                self.message_user(request, f"Return {ret.public_id} received.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:fulfillment_return_change", args=[ret.pk]))
        return self.render_form_page(
            request,
            title="Receive a return without RMA",
            form=form,
            formset=formset,
            formset_title="What came back (one row per SKU and condition)",
            submit="Record return",
        )

    @admin.action(description="Mark processed", permissions=["change"])
    def process_selected(self, request, queryset):
        done = 0
        for ret in queryset:
            try:
                return_process(tenant=ret.tenant, environment=ret.environment, ret=ret, actor=staff_label(request))
                done += 1
            except ApiError as error:
                self.message_user(request, f"{ret.public_id}: {error.message}", messages.ERROR)
        if done:
            self.message_user(request, f"Processed {done} return(s).", messages.SUCCESS)
