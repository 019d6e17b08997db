from django.urls import path

from amparo.referrals import api, views

app_name = "referrals"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("services/<int:pk>/", views.service_detail, name="service_detail"),
    path("ours/", views.our_services, name="our_services"),
    path("ours/new/", views.service_create, name="service_create"),
    path("ours/<int:pk>/", views.service_update, name="service_update"),
]

api_urlpatterns = [
    path("directory/services/", api.DirectoryServiceListApi.as_view(), name="directory_service_list"),
]
