from django.conf import settings
from django.utils import translation


class UserLanguageMiddleware:
    """The tenant's language unless the user chose another (profile, then language cookie).

    The browser's Accept-Language is deliberately ignored: a Japanese company's CRM opens in
    Japanese on an English-locale laptop too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = (
            (user.language if user is not None and user.is_authenticated else "")
            or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
            or settings.LANGUAGE_CODE
        )
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
