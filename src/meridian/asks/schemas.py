"""Shapes the areas' APIs share for asking people: who is asked, and a person in an answer."""

from typing import Any

from ninja import Schema
from pydantic import model_validator

from meridian.asks.people import Invitee


class ParticipantIn(Schema):
    """A member (``member_id``) or a whole team (``team``, its slug); required unless said otherwise."""

    member_id: int | None = None
    team: str | None = None
    required: bool = True

    @model_validator(mode="after")
    def _one_of(self) -> "ParticipantIn":
        if (self.member_id is None) == (not self.team):
            raise ValueError("give either member_id or team")
        return self

    def invitee(self) -> Invitee:
        return Invitee(member_id=self.member_id, team=self.team, required=self.required)


# A member as other people see them (no docstring: it would become the API's description).
class PersonRef(Schema):
    id: int
    display_name: str
    time_zone: str

    @staticmethod
    def resolve_display_name(obj: Any) -> str:
        return str(obj.profile.display_name)

    @staticmethod
    def resolve_time_zone(obj: Any) -> str:
        return str(obj.profile.time_zone)
