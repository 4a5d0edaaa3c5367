from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "org"
    verbose_name = _("Organisation")

    def ready(self):
        from . import lookups  # noqa: F401  registers the ``__any`` lookup
        from .nul import prohibit_nul_in_text_fields

        prohibit_nul_in_text_fields()
