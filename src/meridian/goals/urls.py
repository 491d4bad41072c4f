from django.urls import path

from meridian.goals import views

urlpatterns = [
    path("", views.goal_list, name="goal_list"),
    path("<int:goal_id>/", views.goal_detail, name="goal_detail"),
    path("<int:goal_id>/notes/", views.note_new, name="goal_note_new"),
]
