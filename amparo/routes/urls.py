from django.urls import path

from amparo.routes import views

app_name = "routes"

urlpatterns = [
    path("", views.route_map, name="map"),
]

api_urlpatterns: list = []
