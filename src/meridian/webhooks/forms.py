from django import forms

from meridian.webhooks.kinds import event_kinds


class EndpointForm(forms.Form):
    url = forms.CharField(
        max_length=2000,
        label="Address (URL)",
        help_text="Where Meridian posts each event, e.g. https://hooks.example.com/meridian.",
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    events = forms.MultipleChoiceField(
        # Read when a form is made, so every area has declared its kinds by then.
        choices=lambda: list(event_kinds().items()),
        widget=forms.CheckboxSelectMultiple,
        label="Events to send",
    )
    description = forms.CharField(max_length=200, required=False, label="Description")
    active = forms.BooleanField(required=False, initial=True, label="Active")


class AllowedHostForm(forms.Form):
    host = forms.CharField(
        max_length=253,
        label="Host",
        help_text="A host name or IP address that may resolve to a private address, e.g. hooks.internal.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
