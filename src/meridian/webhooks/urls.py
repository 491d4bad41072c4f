from django.urls import path

from meridian.webhooks import views

urlpatterns = [
    path("", views.webhooks, name="webhooks"),
    path("hosts/", views.host_add, name="webhook_host_add"),
    path("hosts/<int:host_id>/remove/", views.host_remove, name="webhook_host_remove"),
    path("<int:endpoint_id>/", views.endpoint, name="webhook"),
    path("<int:endpoint_id>/rotate/", views.endpoint_rotate, name="webhook_rotate"),
    path("<int:endpoint_id>/delete/", views.endpoint_remove, name="webhook_delete"),
]
