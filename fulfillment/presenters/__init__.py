"""Output shapes of the API, one function per resource (`order_data(order) -> dict`).

The GET endpoints and the webhook payloads both call these, so an event's
`data` is exactly what the matching GET returns.
"""
