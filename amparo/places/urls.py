"""Decisions on suggested places, mounted at /places/ (decision 0041)."""

from django.urls import path

from amparo.places import views

app_name = "places"

urlpatterns = [
    path("confirmed/<int:pk>/remove/", views.remove, name="remove"),
    # kind: "signal" (reports and signals), "case" (its summary) or "event" (a step of its route)
    path("<str:kind>/<str:reference>/decide/", views.decide, name="decide"),
    path("<str:kind>/<str:reference>/place/", views.place_form, name="place_form"),
]
