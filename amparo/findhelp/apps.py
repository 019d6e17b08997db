from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FindhelpConfig(AppConfig):
    name = "amparo.findhelp"
    label = "findhelp"
    verbose_name = _("Find help")
