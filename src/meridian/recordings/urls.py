from django.urls import path

from meridian.recordings import views

urlpatterns = [
    path("brief/<int:brief_id>/record/", views.record, name="recording_record"),
    path("search/", views.search, name="recording_search"),
    path("<int:recording_id>/", views.detail, name="recording_detail"),
    path(
        "<int:recording_id>/transcript/status/",
        views.transcript_status,
        name="recording_transcript_status",
    ),
    path("<int:recording_id>/chapters/", views.chapters_edit, name="recording_chapters"),
    path("<int:recording_id>/transcript/", views.transcript_page, name="recording_transcript"),
    path(
        "<int:recording_id>/transcript/<int:index>/",
        views.transcript_correct_view,
        name="recording_transcript_correct",
    ),
    path("<int:recording_id>/insights/", views.insights, name="recording_insights"),
    path("<int:recording_id>/insights.csv", views.insights_csv, name="recording_insights_csv"),
    path("<int:recording_id>/media/", views.media, name="recording_media"),
    path("<int:recording_id>/thumbnail/", views.thumbnail, name="recording_thumbnail"),
    path("<int:recording_id>/delete/", views.remove, name="recording_delete"),
    path("<int:recording_id>/captions/", views.caption_new, name="recording_caption_new"),
    path(
        "<int:recording_id>/captions/<int:caption_id>.vtt",
        views.caption_vtt,
        name="recording_caption_vtt",
    ),
    path(
        "<int:recording_id>/captions/<int:caption_id>/delete/",
        views.caption_remove,
        name="recording_caption_delete",
    ),
]
