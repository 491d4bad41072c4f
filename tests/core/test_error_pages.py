import pytest

from meridian.workspaces.models import Profile

pytestmark = pytest.mark.django_db


def test_oversized_form_post_answers_413_naming_the_limit_and_saves_nothing(
    client, member, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    client.force_login(member.user)
    response = client.post(
        f"/w/{member.workspace.slug}/profile/",
        {"display_name": "Renamed", "time_zone": "UTC", "title": "x" * 10_000},
    )
    assert response.status_code == 413
    assert "4096 bytes" in response.content.decode()
    assert Profile.objects.get(membership=member).display_name != "Renamed"
