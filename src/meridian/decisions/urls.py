from django.urls import path

from meridian.decisions import views

urlpatterns = [
    path("", views.proposal_list, name="proposal_list"),
    path("new/", views.proposal_new, name="proposal_new"),
    path("proposals/<int:proposal_id>/", views.proposal_detail, name="proposal_detail"),
    path("proposals/<int:proposal_id>/edit/", views.proposal_edit, name="proposal_edit"),
    path("proposals/<int:proposal_id>/open/", views.proposal_open_view, name="proposal_open"),
    path("proposals/<int:proposal_id>/stance/", views.stance_new, name="proposal_stance"),
    path("proposals/<int:proposal_id>/comments/", views.comment_new, name="proposal_comment_new"),
    path("proposals/<int:proposal_id>/close/", views.proposal_close_view, name="proposal_close"),
    path("proposals/<int:proposal_id>/outcome/", views.outcome_view, name="proposal_outcome"),
    path("log/", views.decision_log, name="decision_log"),
    path("log/<int:record_id>/", views.record_detail, name="decision_record"),
    path("log/<int:record_id>/export.md", views.record_markdown, name="decision_record_markdown"),
    path("log/<int:record_id>/export.json", views.record_json, name="decision_record_json"),
    path("log/<int:record_id>/pin/", views.record_pin, name="decision_record_pin"),
    path("pins/<int:pin_id>/delete/", views.pin_delete, name="decision_pin_delete"),
    path("teams/<slug:team>/", views.start_here, name="decision_start_here"),
    path("teams/<slug:team>/pin-brief/", views.brief_pin, name="decision_brief_pin"),
]
