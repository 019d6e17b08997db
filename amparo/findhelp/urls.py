"""Routes of find help: the public pages (public_views, mounted at /help/) and the staff
pages that edit awareness texts (views, mounted at /awareness/)."""

from django.urls import path

from amparo.findhelp import public_views, views

app_name = "findhelp"

#: The anonymous surface, mounted at /help/ (AMPARO_ANONYMOUS_PATHS strips identifiers there).
public_urlpatterns = (
    [
        path("", public_views.help_search, name="help_search"),
        path("pages/", public_views.awareness_list, name="awareness_list"),
        path("pages/<int:pk>/", public_views.awareness_detail, name="awareness_detail"),
    ],
    "help",
)

urlpatterns = [
    path("", views.awareness_manage, name="awareness_manage"),
    path("new/", views.awareness_create, name="awareness_create"),
    path("<int:pk>/", views.awareness_edit, name="awareness_edit"),
]
