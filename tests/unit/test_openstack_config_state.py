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


@pytest.mark.parametrize("test", [False, True])
def test_present_passes_oslo_to_the_module(monkeypatch, tmp_path, test):
    """oslo: False (MariaDB, uwsgi) reaches openstack_config.update; default True."""
    from saltext_openstack._modules import openstack_config as module

    monkeypatch.setattr(state, "__salt__", {"openstack_config.update": module.update},
                        raising=False)
    monkeypatch.setattr(state, "__opts__", {"test": test}, raising=False)
    path = tmp_path / "placement-api-uwsgi.ini"
    path.write_text("[uwsgi]\nprocesses = 8\n")
    settings = {"uwsgi": {"processes": 2, "env": "D=$(HOME)/$$x"}}
    ret = state.present(str(path), settings=settings, oslo=False)
    assert ret["result"] is (None if test else True), ret
    assert ret["changes"]["options"]["uwsgi"]["env"]["new"] == "D=$(HOME)/$$x"
    if not test:
        assert path.read_text() == "[uwsgi]\nprocesses = 2\nenv = D=$(HOME)/$$x\n"
        assert state.present(str(path), settings=settings, oslo=False)["changes"] == {}
    ret = state.present(str(path), settings=settings)
    assert ret["changes"]["options"]["uwsgi"]["env"]["new"] == "D=\\$(HOME)/\\$\\$x"
    bad = state.present(str(path), settings=settings, oslo="no")
    assert bad["result"] is False
    assert bad["comment"] == "oslo must be True or False, not 'no'"


def sections(*names):
    return {"sections": {name: {"old": {"volume_driver": "x"}, "new": None} for name in names}}


@pytest.mark.parametrize(
    "changes, keep, test, comment",
    [
        ({}, ["lvm"], False, f"no other section sets volume_driver in {NAME}"),
        ({}, None, True, f"no section sets volume_driver in {NAME}"),
        (sections("ceph"), ["lvm"], False, f"section [ceph] removed in {NAME}"),
        (sections("ceph", "nfs"), [], True, f"sections [ceph], [nfs] would be removed in {NAME}"),
    ],
)
def test_describe_sections(changes, keep, test, comment):
    assert state._describe_sections(NAME, changes, "volume_driver", keep, test) == comment


@pytest.mark.parametrize("test", [False, True])
def test_sections_absent_through_the_module(monkeypatch, tmp_path, test):
    """test=True predicts the removal (result None) and writes nothing; a
    second run changes nothing."""
    from saltext_openstack._modules import openstack_config as module

    monkeypatch.setattr(state, "__salt__", {"openstack_config.update": module.update,
                                            "openstack_config.remove_sections":
                                                module.remove_sections}, raising=False)
    monkeypatch.setattr(state, "__opts__", {"test": test}, raising=False)
    path = tmp_path / "cinder.conf"
    text = "[DEFAULT]\nenabled_backends = lvm\n\n[lvm]\nvolume_driver = a\n\n[ceph]\nvolume_driver = b\n"
    path.write_text(text)
    ret = state.sections_absent(str(path), having="volume_driver", keep=["lvm"])
    assert ret["changes"] == {"sections": {"ceph": {"old": {"volume_driver": "b"}, "new": None}}}
    assert ret["result"] is (None if test else True), ret
    would = "would be " if test else ""
    assert ret["comment"] == f"section [ceph] {would}removed in {path}"
    if test:
        assert path.read_text() == text
        return
    assert path.read_text() == "[DEFAULT]\nenabled_backends = lvm\n\n[lvm]\nvolume_driver = a\n"
    again = state.sections_absent(str(path), having="volume_driver", keep=["lvm"])
    assert (again["result"], again["changes"]) == (True, {})
    assert again["comment"] == f"no other section sets volume_driver in {path}"
    relative = state.sections_absent("cinder.conf", having="volume_driver")
    assert relative["result"] is False
    bad = state.sections_absent(str(path), having="volume_driver", keep={"lvm": 1})
    assert bad["result"] is False
    assert bad["comment"].startswith("keep must be a list of section names")
