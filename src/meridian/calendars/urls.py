from django.urls import path

from meridian.calendars import views

urlpatterns = [
    path("feed/", views.rotate, name="calendar_rotate"),
]
