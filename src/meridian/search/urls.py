from django.urls import path

from meridian.search import views

urlpatterns = [
    path("", views.search, name="search"),
]
