from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from amparo.cases.urls import api_urlpatterns as case_api
from amparo.core import ops
from amparo.core import views as core_views
from amparo.findhelp.urls import public_urlpatterns as help_public
from amparo.referrals import onetime_views
from amparo.referrals.urls import api_urlpatterns as referral_api
from amparo.referrals.workflow_urls import api_urlpatterns as referral_workflow_api
from amparo.reports.urls import api_urlpatterns as report_api
from amparo.reports.urls import public_urlpatterns as report_public
from amparo.routes.urls import api_urlpatterns as route_api
from amparo.shelters.urls import api_urlpatterns as shelter_api

core_patterns = (
    [
        path("", core_views.home, name="home"),
        path("health/", core_views.health, name="health"),
        path("health/live", ops.health_live, name="health_live"),
        path("health/ready", ops.health_ready, name="health_ready"),
        path("metrics", ops.metrics, name="metrics"),
        path("audit/", core_views.audit_list, name="audit_list"),
    ],
    "core",
)

api_patterns = (
    [
        path("schema/", SpectacularAPIView.as_view(), name="schema"),
        *case_api,
        *report_api,
        *referral_api,
        *referral_workflow_api,
        *shelter_api,
        *route_api,
    ],
    "api",
)

urlpatterns = [
    path("", include(core_patterns)),
    path("i18n/setlang/", core_views.set_language, name="set_language"),
    path("accounts/", include("amparo.accounts.urls")),
    path("cases/", include("amparo.cases.urls")),
    path("report/", include(report_public)),  # anonymous: amparo/reports/public_views.py
    path("reports/", include("amparo.reports.urls")),
    path("directory/", include("amparo.referrals.urls")),
    path("shelters/", include("amparo.shelters.urls")),
    path("help/", include(help_public)),  # anonymous: amparo/findhelp/public_views.py
    path("awareness/", include("amparo.findhelp.urls")),
    path("referrals/", include("amparo.referrals.workflow_urls")),
    path("routes/", include("amparo.routes.urls")),
    path("places/", include("amparo.places.urls")),
    path("r/<str:token>/", onetime_views.link_open, name="onetime_open"),  # anonymous (decision 0032)
    path("api/v1/", include(api_patterns)),
]

handler400 = "amparo.core.errors.bad_request"
handler403 = "amparo.core.errors.forbidden"
handler404 = "amparo.core.errors.not_found"
handler500 = "amparo.core.errors.server_error"
