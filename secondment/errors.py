"""Errors the core raises. Each carries a message key and parameters so a page can say it in the user's language."""
from __future__ import annotations


class SecondmentError(Exception):
    """Base class: ``key`` is an i18n key, ``params`` fill its placeholders."""

    key = "error.generic"

    def __init__(self, key: str | None = None, **params):
        self.key = key or self.key
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "zh") -> str:
        from secondment.i18n import translate

        return translate(lang, self.key, **{k: _param(v, lang) for k, v in self.params.items()})


def _param(value, lang):
    # A parameter may itself be a key to translate, marked as ("t", key).
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "t":
        from secondment.i18n import translate

        return translate(lang, value[1])
    return value


class ValidationError(SecondmentError, ValueError):
    """A bad value: names the field (as a label key), the value and the reason."""

    key = "error.invalid"

    def __init__(self, field: str, value, reason: str, row: int | None = None, **extra):
        self.field = field
        self.value = value
        self.reason = reason
        self.row = row
        key = "error.invalid_row" if row is not None else "error.invalid"
        if reason == "required" and (value is None or value == ""):  # nothing to quote: just say it is needed
            key = "error.required_row" if row is not None else "error.required"
        super().__init__(key, field=("t", f"field.{field}"), value=_show(value),
                         reason=("t", f"reason.{reason}"), row=row, **extra)

    @property
    def extra(self) -> dict:
        """The reason's own parameters (e.g. ``min``, ``max``), without field, value, reason and row."""
        return {k: v for k, v in self.params.items() if k not in ("field", "value", "reason", "row")}

    def at_row(self, row: int | None) -> ValidationError:
        """The same error, said of row ``row`` of a file (itself when ``row`` is None or already set)."""
        if row is None or self.row is not None:
            return self
        return ValidationError(self.field, self.value, self.reason, row=row, **self.extra)

    def message(self, lang: str = "zh") -> str:
        from secondment.i18n import translate

        params = {k: _param(v, lang) for k, v in self.params.items()}
        # The reason may have its own placeholders (e.g. {min}, {max}).
        params["reason"] = translate(lang, f"reason.{self.reason}", **{
            k: _param(v, lang) for k, v in self.params.items() if k not in ("field", "value", "reason", "row")})
        return translate(lang, self.key, **params)


def _show(value) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 60 else text[:57] + "…"


class ValidationErrors(SecondmentError, ValueError):
    """Several bad values at once (an import file): nothing was written."""

    key = "error.many_invalid"

    def __init__(self, errors: list[ValidationError]):
        self.errors = errors
        super().__init__(count=len(errors))


class PermissionDenied(SecondmentError, PermissionError):
    key = "error.permission"

    def __init__(self, action: str, role: str | None = None):
        self.action = action
        self.role = role
        super().__init__(action=("t", f"action.{action}"), role=("t", f"vocab.app_role.{role}") if role else "—")


class NotFound(SecondmentError, LookupError):
    key = "error.not_found"

    def __init__(self, what: str, ident):
        super().__init__(what=("t", f"field.{what}"), ident=ident)


class Conflict(SecondmentError):
    """The operation is not allowed in the record's current state (e.g. a transition the loop refuses)."""

    key = "error.conflict"
