import ipaddress

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied, ValidationError

from .services import login_attempt_begin, login_attempt_succeeded


def client_address(request) -> str | None:
    """The address the login is counted against: REMOTE_ADDR, or with ``TRUSTED_PROXIES`` proxies in front,
    the one the outermost of them appended to X-Forwarded-For (what the client put there is ignored).
    IPv6 clients are counted per /64, the block one subscriber is given."""
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR", "")
    if settings.TRUSTED_PROXIES:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= settings.TRUSTED_PROXIES:
            address = forwarded[-settings.TRUSTED_PROXIES]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:50] or None
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class LockoutModelBackend(ModelBackend):
    """Username and password, behind the failed-login counters (per username and per client address).

    Every password login goes through here — the login page, the admin's, the password change form — so a
    locked username or address is refused before its password is looked at. A refusal leaves the reason on
    ``request.login_locked`` for the form to show."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        try:
            attempt = login_attempt_begin(username=username, ip_address=client_address(request))
        except ValidationError as locked:
            if request is not None:
                request.login_locked = locked
            # Stops authenticate() from asking any other backend.
            raise PermissionDenied from None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            login_attempt_succeeded(attempt=attempt)
        return user

    async def aauthenticate(self, request, username=None, password=None, **kwargs):
        # ModelBackend's own async path would skip the counters.
        return await sync_to_async(self.authenticate)(request, username=username, password=password, **kwargs)
