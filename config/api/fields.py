"""Serializer fields that carry the API's input rules, so every endpoint applies them the same way.

Input hygiene (operator policies): key fields (sku, reference, order_number,
ids) refuse `< > % : \\ ? +` and control characters; single-line text refuses
control characters (tab, newline, form feed, carriage return…). Timestamps
must carry an offset and are returned in UTC with a Z.
"""

from __future__ import annotations

import datetime
import unicodedata
from decimal import Decimal, InvalidOperation

from rest_framework import serializers

from config.api.iso import COUNTRIES, CURRENCIES
from config.api.renderers import format_datetime

KEY_FORBIDDEN = set("<>%:\\?+")


def _has_control(value: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value)


class LineField(serializers.CharField):
    """Single-line text: no control characters."""

    default_error_messages = {"invalid_characters": "Must be a single line without control characters."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if _has_control(data):
            self.fail("invalid_characters")
        return super().to_internal_value(data)


class KeyField(serializers.CharField):
    """An identifier or key (sku, reference, order number, ids)."""

    default_error_messages = {
        "invalid_characters": "May not contain < > % : \\ ? + or control characters.",
        "surrounding_space": "May not start or end with a space.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if _has_control(data) or KEY_FORBIDDEN.intersection(data):
            self.fail("invalid_characters")
        if data != data.strip():
            self.fail("surrounding_space")
        return super().to_internal_value(data)


class UtcDateTimeField(serializers.DateTimeField):
    """ISO-8601 in, with a Z or an explicit offset; always UTC with a Z out."""

    default_error_messages = {
        "invalid": "Must be an ISO-8601 date-time with a timezone, e.g. 2026-07-02T09:15:00Z.",
        "naive": "Must include a timezone (Z or an offset such as +10:00).",
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            text = value.strip()
            try:
                parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            except ValueError:
                self.fail("invalid")
            if parsed.tzinfo is None:
                self.fail("naive")
            return parsed.astimezone(datetime.UTC)
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            return value.astimezone(datetime.UTC)
        self.fail("invalid")

    def to_representation(self, value):
        return format_datetime(value) if value else None


class CountryField(serializers.CharField):
    default_error_messages = {"invalid_country": "Must be an ISO-3166 alpha-2 country code such as AU."}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 2)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value.upper() not in COUNTRIES:
            self.fail("invalid_country")
        return value.upper()


class CurrencyField(serializers.CharField):
    default_error_messages = {"invalid_currency": "Must be an ISO-4217 currency code such as AUD."}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 3)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value.upper() not in CURRENCIES:
            self.fail("invalid_currency")
        return value.upper()


class DecimalStringField(serializers.Field):
    """A money amount sent as a decimal string ("19.99"), never a float."""

    default_error_messages = {
        "invalid": 'Must be a decimal string such as "19.99".',
        "negative": "Must not be negative.",
        "precision": "At most 2 decimal places and 10 digits before the point.",
    }

    def __init__(self, *, allow_negative: bool = False, **kwargs):
        self.allow_negative = allow_negative
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            value = Decimal(data.strip())
        except InvalidOperation:
            self.fail("invalid")
        if not value.is_finite():
            self.fail("invalid")
        if value < 0 and not self.allow_negative:
            self.fail("negative")
        if value.as_tuple().exponent < -2 or abs(value) >= Decimal("1e10"):
            self.fail("precision")
        return value

    def to_representation(self, value):
        return None if value is None else f"{Decimal(value):.2f}"


class MoneySerializer(serializers.Serializer):
    """`{"amount": "19.99", "currency": "AUD"}`."""

    amount = DecimalStringField()
    currency = CurrencyField()


class PositiveQuantityField(serializers.IntegerField):
    default_error_messages = {"invalid": "Must be a positive whole number."}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 1_000_000)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        # JSON booleans and floats such as 2.5 are not quantities.
        if isinstance(data, bool) or (isinstance(data, float) and not data.is_integer()) or isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def money(amount, currency) -> dict | None:
    if amount is None:
        return None
    return {"amount": f"{Decimal(amount):.2f}", "currency": currency}
