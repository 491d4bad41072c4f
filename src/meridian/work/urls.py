"""Pages of the work area: my work, the task list, tasks, projects and their boards."""

from django.urls import path

from meridian.work import views

urlpatterns = [
    path("", views.my_work, name="work_my"),
    path("waiting/", views.waiting, name="work_waiting"),
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/new/", views.task_create_view, name="task_create"),
    path("tasks/<int:task_id>/", views.task_detail_view, name="task_detail"),
    path("tasks/<int:task_id>/edit/", views.task_edit, name="task_edit"),
    path("tasks/<int:task_id>/move/", views.task_move_view, name="task_move"),
    path("tasks/<int:task_id>/criteria/", views.criteria_tick, name="task_criteria"),
    path("tasks/<int:task_id>/follow/", views.follow, name="task_follow"),
    path("tasks/<int:task_id>/dependencies/", views.dependency_new, name="task_dependency_new"),
    path(
        "tasks/<int:task_id>/dependencies/<int:dependency_id>/delete/",
        views.dependency_delete,
        name="task_dependency_delete",
    ),
    path("tasks/<int:task_id>/comments/", views.comment_new, name="task_comment_new"),
    path(
        "tasks/<int:task_id>/comments/<int:comment_id>/answer/",
        views.answer_new,
        name="task_answer",
    ),
    path("tasks/<int:task_id>/links/", views.link_new, name="task_link_new"),
    path(
        "tasks/<int:task_id>/links/<int:link_id>/delete/",
        views.link_delete,
        name="task_link_delete",
    ),
    path("tasks/<int:task_id>/files/", views.file_new, name="task_file_new"),
    path("tasks/<int:task_id>/files/<int:file_id>/", views.file_download, name="task_file"),
    path(
        "tasks/<int:task_id>/files/<int:file_id>/delete/",
        views.file_delete,
        name="task_file_delete",
    ),
    path("filters/", views.filter_save, name="work_filter_save"),
    path("filters/<int:filter_id>/delete/", views.filter_delete, name="work_filter_delete"),
    path("projects/", views.project_list, name="project_list"),
    path("projects/new/", views.project_create_view, name="project_create"),
    path("projects/<int:project_id>/", views.project_detail, name="project_detail"),
    path("projects/<int:project_id>/board/", views.project_board, name="project_board"),
    path("projects/<int:project_id>/edit/", views.project_edit, name="project_edit"),
]
