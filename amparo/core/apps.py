from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "amparo.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from amparo.core import blobs, checks  # noqa: F401 (registers the deployment checks)

        blobs.connect()  # an attachment's object is deleted with its row (decision 0039)
