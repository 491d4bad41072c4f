"""Form helpers: turn a service's MeridianError into errors on the form that was submitted."""

from collections.abc import Mapping

from django import forms

from meridian.core.errors import MeridianError


def add_service_errors(
    form: forms.Form, exc: MeridianError, fields: Mapping[str, str] | None = None
) -> None:
    """Show each field error beside its field; anything else at the top of the form.

    ``fields`` maps a service's argument to the form field that gave it, where they differ.
    """
    placed = False
    for field, messages in exc.errors.items():
        name = field.split(".")[0]
        name = (fields or {}).get(name, name)
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, exc.detail)
