from django.urls import path

from meridian.workspaces import views

urlpatterns = [
    path("", views.members, name="workspace_home"),
    path("members/", views.members, name="members"),
    path("members/invite/", views.invite, name="invite"),
    path("members/<int:member_id>/role/", views.member_role, name="member_role"),
    path("members/<int:member_id>/remove/", views.member_remove, name="member_remove"),
    path(
        "members/invites/<int:invitation_id>/withdraw/",
        views.invitation_withdraw,
        name="invitation_withdraw",
    ),
    path("profile/", views.profile, name="profile"),
    path("profile/time-off/", views.time_off_add_view, name="time_off_add"),
    path(
        "profile/time-off/<int:time_off_id>/remove/",
        views.time_off_remove_view,
        name="time_off_remove",
    ),
    path("teams/", views.teams, name="teams"),
    path("teams/<slug:team>/", views.team, name="team"),
    path("audit/", views.audit_log, name="audit_log"),
]
