from django.urls import path

from meridian.checkins import views

urlpatterns = [
    path("", views.checkin_list, name="checkin_list"),
    path("new/", views.checkin_new, name="checkin_new"),
    path("<int:checkin_id>/", views.checkin_team, name="checkin_team"),
    path("<int:checkin_id>/edit/", views.checkin_edit, name="checkin_edit"),
    path("<int:checkin_id>/week/", views.checkin_week, name="checkin_week"),
    path("<int:checkin_id>/people/<int:member_id>/", views.checkin_person, name="checkin_person"),
    path("answer/<int:prompt_id>/", views.checkin_answer, name="checkin_answer"),
    path(
        "answer/<int:prompt_id>/tasks/",
        views.checkin_task_options,
        name="checkin_task_options",
    ),
    path("blockers/<int:blocker_id>/", views.checkin_blocker, name="checkin_blocker"),
    path(
        "blockers/<int:blocker_id>/resolve/",
        views.checkin_blocker_resolve,
        name="checkin_blocker_resolve",
    ),
]
