"""Admin for shipments (see the issue that owns it)."""
