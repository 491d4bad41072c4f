from django.urls import path

from meridian.dashboards import views

urlpatterns = [
    path("", views.workspace_dashboard, name="dashboard_workspace"),
    path("team/<int:team_id>/", views.team_dashboard, name="dashboard_team"),
    path("team/<int:team_id>/customize/", views.team_customize, name="dashboard_customize"),
    path("project/<int:project_id>/", views.project_dashboard, name="dashboard_project"),
    path("person/<int:member_id>/", views.person_dashboard, name="dashboard_person"),
    path("data/<slug:chart>.<slug:fmt>", views.workspace_export, name="dashboard_export"),
    path(
        "<slug:kind>/<int:subject_id>/data/<slug:chart>.<slug:fmt>",
        views.subject_export,
        name="dashboard_subject_export",
    ),
]
