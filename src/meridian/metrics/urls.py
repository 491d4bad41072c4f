from django.urls import path

from meridian.metrics import views

urlpatterns = [
    path("", views.catalogue, name="metrics_catalogue"),
    path("new/", views.custom_new, name="metrics_custom_new"),
    path("<slug:key>/", views.drilldown, name="metrics_items"),
    path("<slug:key>/values/", views.value_new, name="metrics_value_new"),
]
