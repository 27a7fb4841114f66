"""The hub service's rules that need no hub: who reads the class, ingest limits."""

from __future__ import annotations

import pytest

from jelai.errors import JelaiError
from jelai.service.identity import caller
from jelai.service.limits import DAY_SECONDS, IngestLimits, RateLimited


def test_instructors_are_named_by_group_scope_or_name_and_nobody_else() -> None:
    groups = ["instructors"]
    student = {"kind": "user", "name": "ana", "groups": ["class-a"], "scopes": []}
    assert caller(student, groups).instructor is False
    by_group = {**student, "groups": ["instructors"]}
    by_scope = {**student, "scopes": ["custom:jelai:read-class"]}
    assert caller(by_group, groups).instructor is True
    assert caller(by_scope, groups).instructor is True
    assert caller(student, groups, instructors=["ana"]).instructor is True
    # A group of the same name in another spelling is another group.
    assert caller({**student, "groups": ["Instructors"]}, groups).instructor is False


@pytest.mark.parametrize(
    "model", [None, {}, {"kind": "service", "name": "grader"}, {"kind": "user", "name": 3}]
)
def test_no_user_or_a_service_token_has_no_record(model: object) -> None:
    with pytest.raises(JelaiError) as refused:
        caller(model, ["instructors"])  # type: ignore[arg-type]
    assert refused.value.status == 403


class Clock:
    def __init__(self, now: float = 10 * DAY_SECONDS) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_batch_past_the_events_per_minute_is_refused_whole_until_room_is_made() -> None:
    clock = Clock()
    limits = IngestLimits(events_per_minute=100, bytes_per_day=10**9, clock=clock)
    limits.admit("ana", 60, 1000)
    clock.now += 20
    limits.admit("ana", 30, 1000)
    with pytest.raises(RateLimited) as refused:
        limits.admit("ana", 20, 1000)  # 110 in the minute
    # The first batch leaves the window 40 seconds from now; then 20 fit.
    assert (refused.value.status, refused.value.retry_after) == (429, 40)
    assert "100 events in a minute" in refused.value.message
    limits.admit("bob", 100, 1000)  # others are not held up
    clock.now += 39
    with pytest.raises(RateLimited):
        limits.admit("ana", 20, 1000)  # the refused batch was not counted, nor is this one
    clock.now += 1
    limits.admit("ana", 20, 1000)


def test_bytes_per_day_reset_at_midnight_utc() -> None:
    clock = Clock(10 * DAY_SECONDS + DAY_SECONDS - 100)
    limits = IngestLimits(events_per_minute=10**6, bytes_per_day=5000, clock=clock)
    limits.admit("ana", 1, 4000)
    with pytest.raises(RateLimited) as refused:
        limits.admit("ana", 1, 2000)
    assert refused.value.retry_after == 100
    clock.now += 100
    limits.admit("ana", 1, 2000)


def test_a_hub_configuration_gains_the_service_and_keeps_its_own_settings() -> None:
    from traitlets.config import Config

    from jelai.service.hub_config import add_jelai_service

    c = Config()
    c.JupyterHub.services = [{"name": "culler", "command": ["cull"]}]
    c.JupyterHub.load_roles = [
        {"name": "user", "scopes": ["self", "read:shares"]},
        {"name": "culler", "scopes": ["list:users"], "services": ["culler"]},
    ]
    c.Spawner.environment = {"LANG": "C.UTF-8"}
    add_jelai_service(c, url="http://jelai:10101", api_token="t0ken")
    add_jelai_service(c, url="http://jelai:10101", api_token="t0ken")  # twice: no duplicates

    assert c.JupyterHub.services == [
        {"name": "culler", "command": ["cull"]},
        {
            "name": "jelai",
            "url": "http://jelai:10101",
            "oauth_no_confirm": True,
            "api_token": "t0ken",
        },
    ]
    roles = {role["name"]: role for role in c.JupyterHub.load_roles}
    assert roles["user"]["scopes"] == ["self", "read:shares", "access:services!service=jelai"]
    assert roles["culler"]["scopes"] == ["list:users"]
    assert roles["jelai-service"] == {
        "name": "jelai-service",
        "scopes": ["read:groups!group=instructors"],
        "services": ["jelai"],
    }
    assert c.Spawner.server_token_scopes == [
        "users:activity!user",
        "read:users:groups!user",
        "access:services!service=jelai",
        "custom:jelai:read-class",
    ]
    assert list(c.JupyterHub.custom_scopes) == ["custom:jelai:read-class"]
    assert c.Spawner.environment == {
        "LANG": "C.UTF-8",
        "JELAI_SERVICE_URL": "http://jelai:10101/services/jelai/",
    }
