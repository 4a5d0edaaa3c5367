from django.core.exceptions import ValidationError


def field_error(field: str, message, *, code: str, params: dict | None = None) -> ValidationError:
    """A ValidationError on one field that keeps its code and params (a plain dict would drop both)."""
    return ValidationError({field: ValidationError(message, code=code, params=params)})
