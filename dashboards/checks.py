from django.core.checks import Error, register

from .metrics import check_catalogue


@register()
def metric_catalogue(app_configs, **kwargs):
    """A ratio of a missing metric or an unknown dimension fails at start-up, not in the nightly rollup."""
    return [Error(problem, id="dashboards.E001") for problem in check_catalogue()]
