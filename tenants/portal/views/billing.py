"""Billing: invoices with their lines, CSV download, and the current month's draft."""

from __future__ import annotations

import csv

from django.http import Http404, HttpResponse
from django.shortcuts import render

from tenants.portal import sources
from tenants.portal.access import portal_view


def _selectors():
    module = sources.billing_selectors()
    return module if sources.has(module, "invoices_for", "invoice_lines", "invoice_draft_current") else None


def _invoice_or_404(selectors, request, invoice_id: int):
    # Through the tenant's own invoices only: another tenant's id is simply not there.
    invoice = next((i for i in selectors.invoices_for(tenant=request.portal.tenant) if i.pk == invoice_id), None)
    if invoice is None:
        raise Http404("No such invoice.")
    return invoice


@portal_view("billing.view")
def invoice_list(request):
    selectors = _selectors()
    if selectors is None:
        return render(request, "portal/billing/list.html", {"title": "Billing", "available": False})
    draft = selectors.invoice_draft_current(tenant=request.portal.tenant)
    invoices = [i for i in selectors.invoices_for(tenant=request.portal.tenant) if not draft or i.pk != draft.pk]
    return render(
        request,
        "portal/billing/list.html",
        {
            "title": "Billing",
            "available": True,
            "draft": draft,
            "draft_lines": selectors.invoice_lines(draft) if draft else [],
            "invoices": invoices,
        },
    )


@portal_view("billing.view")
def invoice_detail(request, invoice_id: int):
    selectors = _selectors()
    if selectors is None:
        raise Http404("Billing is not available yet.")
    invoice = _invoice_or_404(selectors, request, invoice_id)
    return render(
        request,
        "portal/billing/detail.html",
        {"title": f"Invoice {invoice}", "invoice": invoice, "lines": selectors.invoice_lines(invoice)},
    )


@portal_view("billing.view")
def invoice_csv(request, invoice_id: int):
    selectors = _selectors()
    if selectors is None:
        raise Http404("Billing is not available yet.")
    invoice = _invoice_or_404(selectors, request, invoice_id)
    name = invoice.number or f"draft-{invoice.month:%Y-%m}"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="invoice-{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "invoice",
            "month",
            "status",
            "line",
            "kind",
            "description",
            "period_start",
            "period_end",
            "quantity",
            "unit_price",
            "amount",
            "currency",
        ]
    )
    for line in selectors.invoice_lines(invoice):
        writer.writerow(
            [
                invoice.number or "",
                f"{invoice.month:%Y-%m}",
                invoice.status,
                line.position,
                line.kind,
                _csv_safe(line.description),
                line.period_start.isoformat(),
                line.period_end.isoformat(),
                f"{line.quantity.normalize():f}",
                f"{line.unit_price:.2f}",
                f"{line.amount:.2f}",
                invoice.currency,
            ]
        )
    writer.writerow(["", "", "", "", "total", "", "", "", "", "", f"{invoice.total:.2f}", invoice.currency])
    return response


def _csv_safe(text: str) -> str:
    """Connection names are client-chosen: keep a spreadsheet from reading them as formulas."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
