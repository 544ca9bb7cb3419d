"""Portal forms. Input rules mirror the services, which remain the final word."""

from __future__ import annotations

from django import forms

from tenants.models import ApiConnection, Membership


class ConnectionCreateForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What will use this key, e.g. “NetSuite production”.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "NetSuite production"}),
    )
    scope = forms.ChoiceField(
        choices=ApiConnection.Scope.choices,
        initial=ApiConnection.Scope.FULL,
        widget=forms.RadioSelect,
        help_text="Read-only keys can list and fetch but never create, amend or cancel.",
    )


class KeyRollForm(forms.Form):
    old_key_expires = forms.ChoiceField(
        label="The current key stops working",
        choices=[("now", "Immediately"), ("1h", "In 1 hour"), ("24h", "In 24 hours"), ("7d", "In 7 days")],
        initial="24h",
        widget=forms.RadioSelect,
        help_text="Give your systems time to switch to the new key before the old one stops.",
    )


class MemberInviteForm(forms.Form):
    email = forms.EmailField(max_length=254)
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.DEVELOPER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)


def webhook_event_choices() -> list[tuple[str, str]]:
    from webhooks.models import EVENT_TYPES

    return [(t, t) for t in EVENT_TYPES if t != "ping"]


class WebhookEndpointForm(forms.Form):
    url = forms.CharField(
        label="Endpoint URL",
        max_length=2048,
        widget=forms.URLInput(attrs={"placeholder": "https://erp.example.com/webhooks/fulfillment"}),
        help_text="We POST signed JSON here. Live endpoints must use https.",
    )
    events = forms.MultipleChoiceField(
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        help_text="Send only what your system acts on.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = webhook_event_choices()


class WebhookEventsForm(forms.Form):
    events = forms.MultipleChoiceField(choices=[], widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = webhook_event_choices()
