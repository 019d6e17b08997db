from django.urls import path

from amparo.referrals import exports, figures_views, network_views, onetime_views, workflow_api, workflow_views

app_name = "referral"

urlpatterns = [
    path("", workflow_views.waiting, name="waiting"),
    path("sent/", workflow_views.sent, name="sent"),
    path("overdue/", workflow_views.overdue, name="overdue"),
    path("waiting.csv", exports.waiting_csv, name="waiting_csv"),
    path("sent.csv", exports.sent_csv, name="sent_csv"),
    path("figures/", figures_views.figures_page, name="figures"),
    path("figures/csv/", figures_views.figures_csv, name="figures_csv"),
    path("network/", network_views.network_page, name="network"),
    path("network/csv/", network_views.network_csv, name="network_csv"),
    path("new/<str:reference>/", workflow_views.create, name="create"),
    path("new/signal/<str:reference>/", workflow_views.create_from_signal, name="create_signal"),
    path("<int:pk>/", workflow_views.detail, name="detail"),
    path("<int:pk>/accept/", workflow_views.accept, name="accept"),
    path("<int:pk>/decline/", workflow_views.decline, name="decline"),
    path("<int:pk>/start/", workflow_views.start, name="start"),
    path("<int:pk>/complete/", workflow_views.complete, name="complete"),
    path("<int:pk>/revoke/", workflow_views.revoke, name="revoke"),
    path("<int:pk>/update/", workflow_views.update, name="update"),
    path("<int:pk>/open-case/", workflow_views.open_case, name="open_case"),
    path("external/new/<str:reference>/", onetime_views.external_create, name="external_create"),
    path("external/<int:pk>/", onetime_views.external_detail, name="external_detail"),
    path("external/<int:pk>/revoke/", onetime_views.external_revoke, name="external_revoke"),
]

api_urlpatterns = [
    path("referrals/", workflow_api.ReferralListApi.as_view(), name="referral_list"),
    path("referrals/<int:pk>/", workflow_api.ReferralDetailApi.as_view(), name="referral_detail"),
    path("referrals/<int:pk>/accept/", workflow_api.ReferralAcceptApi.as_view(), name="referral_accept"),
    path("referrals/<int:pk>/decline/", workflow_api.ReferralDeclineApi.as_view(), name="referral_decline"),
]
