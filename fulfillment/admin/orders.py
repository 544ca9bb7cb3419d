"""Admin for orders (see the issue that owns it)."""
