"""One error hierarchy: services raise these; views turn them into form errors, the API into JSON."""

from collections.abc import Mapping, Sequence


class MeridianError(Exception):
    """A request the product refuses, with a message a person can act on."""

    status_code = 400

    def __init__(self, detail: str, errors: Mapping[str, Sequence[str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in (errors or {}).items()}

    @classmethod
    def field(cls, field: str, message: str) -> "MeridianError":
        """An error about one named input field."""
        return cls(message, {field: [message]})


class ValidationFailed(MeridianError):
    """The input is malformed or breaks a rule (HTTP 422)."""

    status_code = 422


class Unauthenticated(MeridianError):
    """The request does not say who is acting, or the credential it carries is not valid (HTTP 401)."""

    status_code = 401


class NotFound(MeridianError):
    """Missing, or not visible to the viewer: the two are never told apart (HTTP 404)."""

    status_code = 404

    def __init__(self, detail: str = "Not found.") -> None:
        super().__init__(detail)


class PermissionDenied(MeridianError):
    """The viewer can see the object but their role may not do this (HTTP 403)."""

    status_code = 403


class Conflict(MeridianError):
    """The object's state forbids the operation now (HTTP 409)."""

    status_code = 409


class FieldErrors:
    """Field errors collected over one call, raised together so a form shows them all at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def raise_any(self) -> None:
        if self.errors:
            first = next(iter(self.errors.values()))[0]
            raise ValidationFailed(first, self.errors)


class TooLarge(MeridianError):
    """The upload, or one chunk of it, is larger than the server accepts (HTTP 413)."""

    status_code = 413


def size_label(size: int) -> str:
    """A byte count as a person reads it: 2 GiB, 500 MiB, 1.5 KiB, 900 bytes."""
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            if unit == "bytes":
                return f"{size} bytes"
            return f"{value:.1f}".rstrip("0").rstrip(".") + f" {unit}"
        value /= 1024
    return f"{size} bytes"  # pragma: no cover
