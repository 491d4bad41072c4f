from django.urls import path

from meridian.roles import views

urlpatterns = [
    path("", views.role_list, name="role_list"),
    path("new/", views.role_new, name="role_new"),
    path("<int:role_id>/", views.role_detail, name="role_detail"),
    path("<int:role_id>/edit/", views.role_edit, name="role_edit"),
    path("<int:role_id>/assign/", views.role_assign, name="role_assign"),
    path("<int:role_id>/release/<int:member_id>/", views.role_release, name="role_release"),
    path("<int:role_id>/duties/<int:duty_id>/tick/", views.duty_tick_view, name="role_duty_tick"),
    path("<int:role_id>/rota/", views.rota_edit, name="role_rota"),
    path("<int:role_id>/rota/remove/", views.rota_remove_view, name="role_rota_remove"),
]
