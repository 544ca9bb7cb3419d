"""Billing models (usage rollups, plans, invoices) land with the billing issue."""
