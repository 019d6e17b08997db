from django.urls import path

from amparo.shelters import api, views

app_name = "shelters"

urlpatterns = [
    path("", views.shelter_list, name="shelter_list"),
    path("new/", views.shelter_create, name="shelter_create"),
    path("<int:pk>/", views.shelter_detail, name="shelter_detail"),
    path("<int:pk>/edit/", views.shelter_update, name="shelter_update"),
    path("<int:pk>/history/", views.shelter_history, name="shelter_history"),
    path("<int:pk>/waiting/", views.waiting_add, name="waiting_add"),
    path("waiting/<int:pk>/admit/", views.waiting_admit, name="waiting_admit"),
    path("waiting/<int:pk>/withdraw/", views.waiting_withdraw, name="waiting_withdraw"),
    path("admissions/<int:pk>/", views.admission_detail, name="admission_detail"),
    path("from-referral/<int:pk>/admit/", views.referral_admit, name="referral_admit"),
    path("admissions/<int:pk>/discharge/", views.admission_discharge, name="admission_discharge"),
]

api_urlpatterns = [
    path("shelters/", api.ShelterListApi.as_view(), name="shelter_list"),
    path("shelters/free-beds/", api.SharedFreeBedsApi.as_view(), name="shelter_free_beds"),
    path("shelters/<int:pk>/", api.ShelterDetailApi.as_view(), name="shelter_detail"),
]
