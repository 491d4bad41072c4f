from django.urls import path

from meridian.core import views

urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
]
