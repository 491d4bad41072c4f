from django.urls import path

from meridian.tracking import views

urlpatterns = [
    path("", views.tracking_home, name="tracking_home"),
    path("timer/", views.timer_toggle, name="tracking_timer"),
    path("timer/control/", views.timer_control, name="tracking_timer_control"),
    path("timer/badge/", views.timer_badge, name="tracking_timer_badge"),
    path("entries/", views.entry_new, name="tracking_entry_new"),
    path("entries/<int:entry_id>/", views.entry_edit, name="tracking_entry_edit"),
    path("entries/<int:entry_id>/delete/", views.entry_delete, name="tracking_entry_delete"),
    path("timesheet.csv", views.timesheet_csv, name="tracking_csv"),
    path("policy/", views.policy, name="tracking_policy"),
    path("policy/rules/", views.rule_new, name="tracking_rule_new"),
    path("policy/focus/", views.focus_save, name="tracking_focus"),
    path("policy/rules/<int:rule_id>/", views.rule_edit, name="tracking_rule_edit"),
    path("policy/rules/<int:rule_id>/move/", views.rule_move, name="tracking_rule_move"),
    path("policy/rules/<int:rule_id>/delete/", views.rule_delete, name="tracking_rule_delete"),
    path("reports/", views.reports, name="tracking_reports"),
    path("reports/members/<int:member_id>/", views.member_report, name="tracking_member"),
    path("privacy/", views.privacy, name="tracking_privacy"),
    path("privacy/export.json", views.export, name="tracking_export"),
    path("privacy/delete/", views.delete, name="tracking_delete"),
]
