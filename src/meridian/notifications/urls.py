from django.urls import path

from meridian.notifications import views

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("badge/", views.inbox_badge, name="inbox_badge"),
    path("<int:item_id>/done/", views.inbox_done_view, name="inbox_done"),
    path("<int:item_id>/snooze/", views.inbox_snooze_view, name="inbox_snooze"),
    path("<int:item_id>/undo/", views.inbox_undo_view, name="inbox_undo"),
]
