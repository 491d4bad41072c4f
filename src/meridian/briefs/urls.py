from django.urls import path

from meridian.briefs import views

urlpatterns = [
    path("", views.brief_list, name="brief_list"),
    path("new/", views.brief_new, name="brief_new"),
    path("<int:brief_id>/", views.brief_detail, name="brief_detail"),
    path("<int:brief_id>/edit/", views.brief_edit, name="brief_edit"),
    path("<int:brief_id>/send/", views.brief_send_view, name="brief_send"),
    path("<int:brief_id>/close/", views.brief_close_view, name="brief_close"),
    path("<int:brief_id>/comments/", views.comment_new, name="brief_comment_new"),
    path("<int:brief_id>/responses/", views.response_new, name="brief_response_new"),
    path(
        "<int:brief_id>/comments/<int:comment_id>/edit/",
        views.comment_change,
        name="brief_comment_edit",
    ),
    path(
        "<int:brief_id>/comments/<int:comment_id>/answer/",
        views.answer_mark,
        name="brief_answer",
    ),
    path("<int:brief_id>/links/", views.link_new, name="brief_link_new"),
    path("<int:brief_id>/links/<int:link_id>/delete/", views.link_delete, name="brief_link_delete"),
    path("<int:brief_id>/links/<int:link_id>/file/", views.link_file, name="brief_link_file"),
    path("<int:brief_id>/files/", views.file_link_new, name="brief_file_new"),
]
