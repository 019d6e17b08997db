from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "amparo.reports"
    label = "reports"
    verbose_name = _("Reports and signals")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from amparo.core.models import OrganisationKeys
        from amparo.reports.models import RoutingRule
        from amparo.reports.services.common import routing_changed

        # Each process keeps the routing rules and public keys it read (services.common):
        # any saved or deleted rule or key pair makes every process read them again.
        for model in (RoutingRule, OrganisationKeys):
            post_save.connect(routing_changed, sender=model, dispatch_uid=f"reports-routing-save-{model.__name__}")
            post_delete.connect(routing_changed, sender=model, dispatch_uid=f"reports-routing-delete-{model.__name__}")
