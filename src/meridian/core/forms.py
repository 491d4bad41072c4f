"""Form helpers: turn a service's MeridianError into errors on the form that was submitted."""

from django import forms

from meridian.core.errors import MeridianError


def add_service_errors(form: forms.Form, exc: MeridianError) -> None:
    """Show each field error beside its field; anything else at the top of the form."""
    placed = False
    for field, messages in exc.errors.items():
        target = field.split(".")[0] if field.split(".")[0] in form.fields else None
        for message in messages:
            form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, exc.detail)
