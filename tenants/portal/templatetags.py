"""Template filters for the portal (registered as the `portal` library in settings.TEMPLATES)."""

from __future__ import annotations

from django import template

from tenants.portal.charts import human_bytes

register = template.Library()


@register.filter
def tracking_link(parcel) -> str:
    """The carrier's public tracking page for a parcel ('' when the carrier has no template)."""
    try:
        return parcel.carrier.tracking_url(parcel.tracking_number)
    except AttributeError:
        return ""


@register.filter(name="bytes")
def bytes_filter(value) -> str:
    """Decimal units, as billed: 1 GB = 10^9 bytes."""
    return human_bytes(value)


@register.filter
def ago(value) -> str:
    """ "just now" under a minute, else Django's timesince + " ago"; "never" for None."""
    from django.utils import timezone
    from django.utils.timesince import timesince

    if not value:
        return "never"
    if (timezone.now() - value).total_seconds() < 60:
        return "just now"
    return f"{timesince(value)} ago"


@register.filter
def get(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None
