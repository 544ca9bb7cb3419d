"""The product object: GET /v1/products and the create/update answers."""

from __future__ import annotations

from config.api.fields import money
from config.api.renderers import format_datetime


def product_data(product) -> dict:
    weight = None
    if product.weight_value is not None:
        weight = {"value": float(product.weight_value), "unit": product.weight_unit}
    dimensions = None
    if product.length is not None and product.width is not None and product.height is not None:
        dimensions = {
            "length": float(product.length),
            "width": float(product.width),
            "height": float(product.height),
            "unit": product.dimension_unit,
        }
    return {
        "sku": product.sku,
        "description": product.description,
        "barcode": product.barcode or None,
        "weight": weight,
        "dimensions": dimensions,
        "customs_value": money(product.customs_value_amount, product.customs_value_currency),
        "created_at": format_datetime(product.created_at),
        "updated_at": format_datetime(product.updated_at),
        "deleted_at": format_datetime(product.deleted_at),
    }
