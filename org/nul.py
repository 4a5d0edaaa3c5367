"""PostgreSQL cannot store a NUL character in text: an INSERT holding one fails with a ValueError, which
would surface as a server error. Form and API fields refuse NUL already; this makes every model text field
refuse it too, so that a service's ``full_clean()`` turns one that came another way (an import, a webhook,
a script) into an ordinary ValidationError on the field."""

from django.apps import apps
from django.core.validators import ProhibitNullCharactersValidator
from django.db import models

PROJECT_APPS = ("org", "leads", "activities", "handoffs", "opportunities", "dashboards")


def prohibit_nul_in_text_fields() -> None:
    validator = ProhibitNullCharactersValidator()
    for app_label in PROJECT_APPS:
        for model in apps.get_app_config(app_label).get_models():
            for field in model._meta.concrete_fields:
                if isinstance(field, models.CharField | models.TextField) and validator not in field.validators:
                    # Added to the field's computed validators, not to its ``validators`` argument: the rule
                    # is the database's, not part of the schema, and migrations must not change for it.
                    field.__dict__["validators"] = [*field.validators, validator]
