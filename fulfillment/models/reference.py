"""Reference data the ERP maps against once: warehouses, carriers and shipping methods."""

from __future__ import annotations

from django.db import models

from config.db import ChangeTrackedModel


class Warehouse(ChangeTrackedModel):
    """A 3PL site. `public_id` (e.g. `wh_syd_1`) is stable forever: ERPs store it."""

    public_id = models.SlugField(max_length=40, unique=True, help_text="Stable id such as wh_syd_1.")
    name = models.CharField(max_length=100)
    code = models.CharField(max_length=10, help_text="Short site code such as SYD.")
    address1 = models.CharField(max_length=200)
    address2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=20)
    country = models.CharField(max_length=2)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["public_id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.public_id})"


class Carrier(models.Model):
    """A carrier and the template that turns a tracking number into a tracking URL."""

    code = models.SlugField(max_length=40, unique=True, help_text="Stable code such as auspost.")
    name = models.CharField(max_length=100)
    tracking_url_template = models.CharField(
        max_length=300,
        help_text="Use {tracking_number} where the number goes, e.g. https://auspost.com.au/track/{tracking_number}",
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def tracking_url(self, tracking_number: str) -> str:
        return self.tracking_url_template.replace("{tracking_number}", tracking_number)


class ShippingMethod(ChangeTrackedModel):
    """A carrier service an order can ask for, e.g. `sm_auspost_express` (Express Post)."""

    public_id = models.SlugField(max_length=60, unique=True, help_text="Stable id such as sm_auspost_express.")
    name = models.CharField(max_length=100)
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="methods")
    service_code = models.CharField(max_length=20)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["public_id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.public_id})"
