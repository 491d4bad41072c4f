from django.urls import path

from meridian.delivery import views

urlpatterns = [
    path("", views.preferences, name="delivery_preferences"),
]
