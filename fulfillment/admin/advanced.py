"""Admin for advanced (see the issue that owns it)."""
