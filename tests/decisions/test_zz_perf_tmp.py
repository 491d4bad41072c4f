import time
import pytest
from django.urls import reverse
from django.test import RequestFactory
from meridian.decisions.selectors import proposal_detail_for
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
    def timed(fn, n=15):
        fn(); ts=[]
        for _ in range(n):
            t=time.perf_counter(); fn(); ts.append(time.perf_counter()-t)
        ts.sort(); return round(1000*ts[len(ts)//2],1), round(1000*ts[-1],1)
    print("\nselector", timed(lambda: proposal_detail_for(viewer=owner, proposal=p)))
    print("page", timed(lambda: client.get(url)))
