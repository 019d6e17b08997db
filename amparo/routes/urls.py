from django.urls import path

from amparo.routes import api, views

app_name = "routes"

urlpatterns = [
    path("", views.route_map, name="map"),
    path("export/csv/", views.route_export, {"fmt": "csv"}, name="export_csv"),
    path("export/geojson/", views.route_export, {"fmt": "geojson"}, name="export_geojson"),
    path("export/kml/", views.route_export, {"fmt": "kml"}, name="export_kml"),
]

api_urlpatterns = [
    path("routes/flows/", api.FlowsApi.as_view(), name="route_flows"),
    path("routes/hotspots/", api.HotspotsApi.as_view(), name="route_hotspots"),
]
