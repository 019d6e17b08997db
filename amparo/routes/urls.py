from django.urls import path

from amparo.routes import api, views

app_name = "routes"

urlpatterns = [
    path("", views.route_map, name="map"),
    path("export/<str:fmt>/", views.route_export, name="export"),
]

api_urlpatterns = [
    path("routes/flows/", api.FlowsApi.as_view(), name="route_flows"),
    path("routes/hotspots/", api.HotspotsApi.as_view(), name="route_hotspots"),
]
