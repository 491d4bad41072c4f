"""Meridian's URL map: pages per area under /w/<workspace>/, the API under /api/v1/."""

from django.urls import include, path

from meridian.accounts import views as account_views
from meridian.api import api
from meridian.calendars import views as calendar_views
from meridian.core import views as core_views
from meridian.delivery import views as delivery_views
from meridian.workspaces import views as workspace_views

urlpatterns = [
    path("", workspace_views.home, name="home"),
    path("health", core_views.health, name="health"),
    path("ping", core_views.ping, name="ping"),
    # Before allauth's own: the sign-in page that answers 429 when throttled.
    path("accounts/login/", account_views.LoginView.as_view(), name="account_login"),
    path("accounts/", include("allauth.urls")),
    path("new/", workspace_views.workspace_create_view, name="workspace_create"),
    path(
        "invitations/<str:token>/",
        workspace_views.invitation_accept_view,
        name="invitation_accept",
    ),
    path("w/<slug:workspace>/profile/notifications/", include("meridian.delivery.urls")),
    path("w/<slug:workspace>/settings/urgent/", delivery_views.urgent_policy, name="urgent_policy"),
    path("w/<slug:workspace>/", include("meridian.workspaces.urls")),
    path("w/<slug:workspace>/", include("meridian.accounts.urls")),
    path("w/<slug:workspace>/briefs/", include("meridian.briefs.urls")),
    path("w/<slug:workspace>/recordings/", include("meridian.recordings.urls")),
    path("w/<slug:workspace>/decisions/", include("meridian.decisions.urls")),
    path("w/<slug:workspace>/search/", include("meridian.search.urls")),
    path("w/<slug:workspace>/work/", include("meridian.work.urls")),
    path("w/<slug:workspace>/roles/", include("meridian.roles.urls")),
    path("w/<slug:workspace>/checkins/", include("meridian.checkins.urls")),
    path("w/<slug:workspace>/handovers/", include("meridian.handovers.urls")),
    path("w/<slug:workspace>/inbox/", include("meridian.notifications.urls")),
    path("w/<slug:workspace>/webhooks/", include("meridian.webhooks.urls")),
    path("w/<slug:workspace>/calendar/", include("meridian.calendars.urls")),
    path("w/<slug:workspace>/tracking/", include("meridian.tracking.urls")),
    path("w/<slug:workspace>/metrics/", include("meridian.metrics.urls")),
    path("w/<slug:workspace>/goals/", include("meridian.goals.urls")),
    path("w/<slug:workspace>/dashboards/", include("meridian.dashboards.urls")),
    path("calendar/<str:token>.ics", calendar_views.feed, name="calendar_feed"),
    path("api/v1/", api.urls),
]

handler400 = "meridian.core.views.bad_request"
