"""Routes of reporting: the public pages (public_views), the staff pages (views), the API."""

from django.urls import path

from amparo.reports import public_api, public_assets, public_views, views

app_name = "reports"

#: The anonymous surface, mounted at /report/ (AMPARO_ANONYMOUS_PATHS strips identifiers there).
public_urlpatterns = (
    [
        path("", public_views.public_home, name="public_home"),
        path("new/", public_views.report_create, name="report_create"),
        path("follow-up/", public_views.report_followup, name="report_followup"),
        path("follow-up/secret/", public_views.report_receipt_claim, name="receipt_claim"),
        path("assets/<path:name>", public_assets.asset, name="asset"),
    ],
    "report",
)

urlpatterns = [
    path("", views.signal_list, name="signal_list"),
    path("hotline/new/", views.hotline_create, name="hotline_create"),
    path("routing/", views.routing_rule_list, name="routing_rule_list"),
    path("routing/<int:pk>/delete/", views.routing_rule_delete, name="routing_rule_delete"),
    path("<str:reference>/", views.signal_detail, name="signal_detail"),
    path("<str:reference>/attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
]

#: Mounted under /api/v1/ in the "api" namespace; every path starts with report/ (anonymous).
api_urlpatterns = [
    path("report/challenge/", public_api.ChallengeApi.as_view(), name="report_challenge"),
    path("report/recipients/", public_api.RecipientsApi.as_view(), name="report_recipients"),
    path("report/", public_api.ReportSubmitApi.as_view(), name="report_submit"),
    path("report/follow-up/", public_api.FollowUpReadApi.as_view(), name="report_followup"),
    path("report/follow-up/reply/", public_api.FollowUpReplyApi.as_view(), name="report_followup_reply"),
    path("report/receipt/", public_api.ReceiptChangeApi.as_view(), name="report_receipt_change"),
]
