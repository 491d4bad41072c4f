from django.urls import path

from meridian.goals import views

urlpatterns = [
    path("", views.goal_list, name="goal_list"),
    path("new/", views.goal_new, name="goal_new"),
    path("<int:goal_id>/", views.goal_detail, name="goal_detail"),
    path("<int:goal_id>/edit/", views.goal_edit, name="goal_edit"),
    path("<int:goal_id>/key-results/new/", views.key_result_new, name="goal_key_result_new"),
    path(
        "<int:goal_id>/key-results/<int:kr_id>/edit/",
        views.key_result_edit,
        name="goal_key_result_edit",
    ),
    path(
        "<int:goal_id>/key-results/<int:kr_id>/delete/",
        views.key_result_delete,
        name="goal_key_result_delete",
    ),
    path("<int:goal_id>/notes/", views.note_new, name="goal_note_new"),
]
