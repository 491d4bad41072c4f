from django.urls import path

from meridian.handovers import views

urlpatterns = [
    path("", views.handover_list, name="handover_list"),
    path("new/", views.handover_new, name="handover_new"),
    path("everything/", views.handover_everything, name="handover_everything"),
    path("batches/<int:batch_id>/", views.batch_status, name="handover_batch"),
    path(
        "batches/<int:batch_id>/acknowledge/",
        views.batch_acknowledge,
        name="handover_batch_acknowledge",
    ),
    path("readiness/", views.readiness, name="handover_readiness"),
    path("<int:handover_id>/", views.handover_detail, name="handover_detail"),
    path("<int:handover_id>/acknowledge/", views.acknowledge, name="handover_acknowledge"),
    path("<int:handover_id>/cancel/", views.cancel, name="handover_cancel"),
    path("<int:handover_id>/questions/", views.question_new, name="handover_question_new"),
    path(
        "<int:handover_id>/questions/<int:question_id>/answer/",
        views.answer_new,
        name="handover_answer_new",
    ),
]
