from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutesConfig(AppConfig):
    name = "amparo.routes"
    label = "routes"
    verbose_name = _("Routes")

    def ready(self) -> None:
        from amparo.routes import checks  # noqa: F401  (registers the threshold check)
