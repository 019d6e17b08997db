from django.urls import path

from amparo.cases import api, views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("new/", views.case_create, name="case_create"),
    path("<str:reference>/", views.case_detail, name="case_detail"),
]

api_urlpatterns = [
    path("cases/", api.CaseListApi.as_view(), name="case_list"),
    path("cases/<str:reference>/", api.CaseDetailApi.as_view(), name="case_detail"),
]
