import io
import re

import pytest
from django.core.management import call_command

from meridian.workspaces.demo import DEMO_EMAIL, DEMO_PASSWORD, demo_build
from meridian.workspaces.models import Membership, Profile, Role, Team

pytestmark = pytest.mark.django_db


class TestTheBuiltDemo:
    def test_printed_demo_sign_in_works(self, shared_demo, client):
        # A database without the demo: the command builds it and says so.
        out = shared_demo.printed
        assert out.startswith("Built the demo workspace")
        assert DEMO_EMAIL in out and DEMO_PASSWORD in out
        assert client.login(email=DEMO_EMAIL, password=DEMO_PASSWORD)
        assert client.get("/w/demo/members/").status_code == 200

    def test_demo_workspace_spans_many_zones_teams_and_working_patterns(self, shared_demo):
        workspace = shared_demo.workspace
        profiles = Profile.objects.filter(workspace=workspace)
        assert shared_demo.created
        assert Membership.objects.filter(workspace=workspace, is_active=True).count() >= 25
        assert profiles.values("time_zone").distinct().count() >= 8
        assert Team.objects.filter(workspace=workspace).count() == 4
        assert Membership.objects.filter(workspace=workspace, role=Role.ADMIN).count() >= 2
        assert len({str(p.working_hours) for p in profiles}) >= 4

    def test_demo_runs_twice_without_duplicating_anything(self, shared_demo):
        members = Membership.objects.count()
        assert demo_build() == (shared_demo.workspace, False)
        out = io.StringIO()
        call_command("demo", stdout=out)
        assert out.getvalue().startswith("Found the demo workspace")
        assert Membership.objects.count() == members

    def test_demo_prints_sign_ins_for_other_members_and_they_work(
        self, shared_demo, client, capsys
    ):
        call_command("demo")
        out = capsys.readouterr().out
        emails = re.findall(r"^  (\S+@demo\.meridian\.test) ", out, flags=re.MULTILINE)
        assert len(emails) >= 4 and DEMO_EMAIL not in emails
        for email in emails:
            assert client.login(email=email, password=DEMO_PASSWORD), email
            assert client.get("/w/demo/briefs/").status_code == 200
