"""Comments and option counts of the openstack_config states (pure helpers)."""
import pytest

from saltext_openstack._states import openstack_config as state

NAME = "/etc/nova/nova.conf"
PRESENT = ("changed", "set")
ABSENT = ("removed", "absent")


@pytest.mark.parametrize(
    "settings, count",
    [
        ({"DEFAULT": {"a": 1, "b": 2}, "db": {"c": 3}}, 3),
        ({"DEFAULT": ["a", "b"], "db": "c"}, 3),
        ({"DEFAULT": None}, 0),
        ({}, 0),
        (None, 0),
        (["not", "a", "mapping"], 0),
    ],
)
def test_count(settings, count):
    assert state._count(settings) == count


def options(count):
    return {"options": {"DEFAULT": {f"k{i}": {"old": None, "new": "v"} for i in range(count)}}}


@pytest.mark.parametrize(
    "changes, total, action, test, comment",
    [
        ({}, 40, PRESENT, False, f"40 options already set in {NAME}"),
        ({}, 1, ABSENT, True, f"1 option already absent in {NAME}"),
        (options(3), 40, PRESENT, False, f"3 options changed in {NAME}"),
        (options(1), 40, PRESENT, True, f"1 option would be changed in {NAME}"),
        (options(2), 2, ABSENT, True, f"2 options would be removed in {NAME}"),
        (
            {**options(2), "file": "created", "mode": {"old": None, "new": "0640"}},
            2,
            PRESENT,
            False,
            f"file created; 2 options changed; mode changed in {NAME}",
        ),
        (
            {"user": {}, "group": {}},
            5,
            PRESENT,
            True,
            f"user, group would be changed in {NAME}",
        ),
    ],
)
def test_describe(changes, total, action, test, comment):
    assert state._describe(NAME, changes, total, action, test) == comment
