from django.contrib import messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms import Form
from django.utils.text import capfirst


def add_service_error(form: Form, error: ValidationError, labels: dict | None = None) -> None:
    """Puts a service's errors where the user will look: on the form's field when it has one, otherwise
    at the top of the form, prefixed with the field's label (``labels`` maps names to labels)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        if field == NON_FIELD_ERRORS or field in form.fields:
            form.add_error(None if field == NON_FIELD_ERRORS else field, errors)
            continue
        label = capfirst(str((labels or {}).get(field, field.replace("_", " "))))
        form.add_error(None, [f"{label}: {message}" for message in ValidationError(errors).messages])


def report_unshown_errors(request, context: dict, bound_forms: dict) -> None:
    """A bound form the page will not show (the record changed meanwhile, say, and the action is gone)
    still owes the user its errors: they go to the page's messages instead."""
    for name, form in bound_forms.items():
        if context.get(name) is not form and form.errors:
            for errors in form.errors.values():
                for message in errors:
                    messages.error(request, message)


class LockoutMessageMixin:
    """A locked username or address is told when to come back instead of "wrong username or password"."""

    def get_invalid_login_error(self):
        return getattr(self.request, "login_locked", None) or super().get_invalid_login_error()


class LoginForm(LockoutMessageMixin, AuthenticationForm):
    pass


class AdminLoginForm(LockoutMessageMixin, AdminAuthenticationForm):
    pass


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """The current password is checked like a login — counted, and refused while locked — so a session left
    open cannot be used to guess it."""

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        checked = authenticate(self.request, username=self.user.get_username(), password=old_password)
        locked = getattr(self.request, "login_locked", None)
        if locked is not None:
            raise locked
        if checked is None or checked.pk != self.user.pk:
            raise ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password
