"""Webhook models land with the webhooks issue."""
