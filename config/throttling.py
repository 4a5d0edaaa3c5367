from rest_framework.throttling import SimpleRateThrottle

from org.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    """Limits each API key (or browser session) separately; the limit is API_THROTTLE_RATE."""

    scope = "api"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
