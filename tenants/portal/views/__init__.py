"""Portal views, one module per area. Every view is wrapped by access.portal_view(capability)."""
