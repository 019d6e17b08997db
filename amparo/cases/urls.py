from django.urls import path

from amparo.cases import api, views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("mine/", views.my_cases, name="my_cases"),
    path("new/", views.case_create, name="case_create"),
    path("new/<uuid:registration>/", views.case_register, name="case_register"),
    path("emergency/", views.case_break_glass, name="case_break_glass"),
    path("erase/", views.case_erase_start, name="case_erase_start"),
    path("transfers/", views.transfer_list, name="transfer_list"),
    path("transfers/<int:pk>/", views.transfer_decide, name="transfer_decide"),
    path("closures/", views.closure_list, name="closure_list"),
    path("closures/<int:pk>/", views.closure_decide, name="closure_decide"),
    path("<str:reference>/", views.case_detail, name="case_detail"),
    path("<str:reference>/person/", views.case_person_edit, name="case_person_edit"),
    path("<str:reference>/context/", views.case_context_edit, name="case_context_edit"),
    path("<str:reference>/decisions/new/", views.decision_create, name="decision_create"),
    path("<str:reference>/events/new/", views.event_create, name="event_create"),
    path("<str:reference>/screen/", views.screening_create, name="screening_create"),
    path("<str:reference>/screenings/<int:pk>/", views.screening_detail, name="screening_detail"),
    path("<str:reference>/consent/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("<str:reference>/consent/override/", views.consent_override, name="consent_override"),
    path("<str:reference>/notes/new/", views.note_create, name="note_create"),
    path("<str:reference>/attachments/new/", views.attachment_create, name="attachment_create"),
    path("<str:reference>/attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("<str:reference>/assign/", views.case_assign, name="case_assign"),
    path("<str:reference>/close/", views.closure_request_create, name="closure_request_create"),
    path("<str:reference>/reopen/", views.case_reopen, name="case_reopen"),
    path("<str:reference>/services/new/", views.service_create, name="service_create"),
    path("<str:reference>/services/<int:pk>/", views.service_update, name="service_update"),
    path("<str:reference>/duplicates/<int:pk>/", views.duplicate_dismiss, name="duplicate_dismiss"),
    path("<str:reference>/legal/assistance/new/", views.legal_assistance_create, name="legal_assistance_create"),
    path("<str:reference>/legal/proceedings/new/", views.proceeding_create, name="proceeding_create"),
    path("<str:reference>/legal/proceedings/<int:pk>/", views.proceeding_update, name="proceeding_update"),
    path("<str:reference>/export/", views.case_export, name="case_export"),
    path("<str:reference>/export.json", views.case_export_json, name="case_export_json"),
    path("<str:reference>/erase/", views.case_erase, name="case_erase"),
    path("<str:reference>/transfer/", views.transfer_request, name="transfer_request"),
]

api_urlpatterns = [
    path("cases/", api.CaseListApi.as_view(), name="case_list"),
    path("cases/<str:reference>/", api.CaseDetailApi.as_view(), name="case_detail"),
]
