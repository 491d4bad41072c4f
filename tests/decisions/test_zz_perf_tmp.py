import time
import pytest
from django.urls import reverse
from meridian.decisions.models import ProposalParticipant
from tests.briefs.factories import person
from tests.decisions.factories import proposal, rank

pytestmark = pytest.mark.django_db

def test_page_with_500(client, workspace, owner):
    people = [person(workspace) for _ in range(499)]
    p = proposal(owner, people, kind="ranked", visibility="open", options=[f"O{i}" for i in range(10)])
    for m in people:
        rank(m, p, "O1", "O3", "O5")
    client.force_login(owner.user)
    url = reverse("proposal_detail", kwargs={"workspace": p.workspace.slug, "proposal_id": p.pk})
    client.get(url)
    times = []
    for _ in range(20):
        t = time.perf_counter(); r = client.get(url); times.append(time.perf_counter() - t)
    times.sort()
    print("\nmedian ms", 1000*times[10], "max ms", 1000*times[-1], len(r.content))
