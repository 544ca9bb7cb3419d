"""Every write the warehouse business knows, one module per area. Keyword-only, tenant first."""
