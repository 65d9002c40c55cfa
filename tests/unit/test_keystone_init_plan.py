"""
keystone_init: reference resolution and diff (_utils/saltext_openstack_identity.py),
and the module's execution order (no Keystone).
"""
import json
import pathlib

import pytest
import yaml
from salt.exceptions import CommandExecutionError

from saltext_openstack._modules import keystone_init as ki
from saltext_openstack._utils import saltext_openstack_identity as identity

FULL_CLOUD = yaml.safe_load(
    (pathlib.Path(__file__).resolve().parent.parent / "data" / "keystone_init_full_cloud.yaml")
    .read_text()
)
PASSWORDS = [user["password"] for user in FULL_CLOUD["users"].values()]


def bootstrapped():
    """What ``keystone-manage bootstrap`` leaves: Keystone's state, as listed."""
    return identity.Current(
        regions={"RegionOne": {"id": "RegionOne", "description": ""}},
        domains={"Default": {"id": "default", "name": "Default", "enabled": True}},
        projects={("Default", "admin"): {"id": "p-admin", "name": "admin"}},
        roles={name: {"id": f"r-{name}", "name": name} for name in ("admin", "member", "reader")},
        users={("Default", "admin"): {"id": "u-admin", "name": "admin", "enabled": True}},
        services=[{"id": "s-keystone", "name": "keystone", "type": "identity", "enabled": True}],
        assignments={("u-admin", "project", "p-admin", "r-admin")},
        self_user_id="u-admin",
    )


def applied():
    """Keystone once the full cloud has been applied."""
    current = bootstrapped()
    current.projects[("Default", "service")] = {
        "id": "p-service",
        "name": "service",
        "description": "Service Project",
    }
    current.roles["service"] = {"id": "r-service", "name": "service"}
    for name, user in FULL_CLOUD["users"].items():
        current.users[("Default", name)] = {
            "id": f"u-{name}",
            "name": name,
            "enabled": True,
            "default_project_id": "p-service",
            **({"email": user["email"]} if "email" in user else {}),
        }
        current.password_ok[("Default", name)] = True
        for role in ("admin", "service"):
            current.assignments.add((f"u-{name}", "project", "p-service", f"r-{role}"))
    for name, service in FULL_CLOUD["services"].items():
        current.services.append(
            {"id": f"s-{name}", "name": name, "type": service["type"], "enabled": True,
             "description": service["description"]}
        )  # fmt: skip
        for interface, url in service["endpoints"].items():
            current.endpoints[(f"s-{name}", interface, "RegionOne")] = {
                "id": f"e-{name}-{interface}",
                "url": url,
            }
    return current


def plan_for(config, current):
    desired = identity.resolve(identity.normalize_config(config), current)
    return identity.diff(desired, current)


def test_full_cloud_on_bootstrapped_keystone():
    plan = plan_for(FULL_CLOUD, bootstrapped())
    changes = plan.changes
    assert changes["projects"] == {"service": "created"}
    assert changes["roles"] == {"service": "created"}
    assert changes["users"] == {name: "created" for name in FULL_CLOUD["users"]}
    assert sum(len(grants) for grants in changes["grants"].values()) == 10
    assert changes["services"] == {name: "created" for name in FULL_CLOUD["services"]}
    assert len(changes["endpoints"]) == 15
    assert "regions" not in changes
    calls = [(a.method, a.path[0]) for a in plan.actions]
    assert calls == (
        [("POST", "projects"), ("POST", "roles")]
        + [("POST", "users")] * 5
        + [("PUT", "projects")] * 10
        + ([("POST", "services")] + [("POST", "endpoints")] * 3) * 5
    )
    text = json.dumps(changes) + repr(plan.actions)
    assert not any(password in text for password in PASSWORDS)


def test_applied_cloud_needs_nothing():
    plan = plan_for(FULL_CLOUD, applied())
    assert plan.actions == []
    assert plan.changes == {}


def test_new_objects_are_referenced_by_natural_key():
    plan = plan_for(FULL_CLOUD, bootstrapped())
    project, _, nova = plan.actions[0], plan.actions[1], plan.actions[3]
    assert project.body == {
        "project": {
            "name": "service",
            "domain_id": identity.Ref("domain", "Default"),
            "description": "Service Project",
        }
    }
    assert project.register == identity.Ref("project", ("Default", "service"))
    assert nova.body["user"]["default_project_id"] == identity.Ref("project", ("Default", "service"))
    assert nova.body["user"]["password"] == FULL_CLOUD["users"]["nova"]["password"]
    grant = plan.actions[7]
    assert grant.path == (
        "projects",
        identity.Ref("project", ("Default", "service")),
        "users",
        identity.Ref("user", ("Default", "glance")),
        "roles",
        identity.Ref("role", "admin"),
    )


def test_wrong_password_is_reset_and_reported_without_value():
    current = applied()
    current.password_ok[("Default", "nova")] = False
    plan = plan_for(FULL_CLOUD, current)
    assert plan.changes == {"users": {"nova": {"password": "updated"}}}
    (action,) = plan.actions
    assert (action.method, action.path) == ("PATCH", ("users", "u-nova"))
    assert action.body == {"user": {"password": FULL_CLOUD["users"]["nova"]["password"]}}
    assert FULL_CLOUD["users"]["nova"]["password"] not in repr(action)


def test_own_password_change_comes_last():
    current = applied()
    current.password_ok[("Default", "admin")] = False
    config = dict(FULL_CLOUD, users={"admin": {"password": "new-admin-pw"}, **FULL_CLOUD["users"]})
    config["services"] = dict(config["services"])
    config["services"]["heat"] = {"type": "orchestration", "endpoints": {"public": "http://h"}}
    plan = plan_for(config, current)
    assert [a.path[0] for a in plan.actions] == ["services", "endpoints", "users"]
    assert plan.actions[-1].last


def test_password_checks_only_for_existing_enabled_users():
    current = applied()
    current.users[("Default", "nova")]["enabled"] = False
    del current.users[("Default", "glance")]
    desired = identity.resolve(identity.normalize_config(FULL_CLOUD), current)
    checked = {key[1] for key, _, _ in identity.password_checks(desired, current)}
    assert checked == {"placement", "neutron", "cinder"}


def test_reenabled_user_gets_its_password_set():
    current = applied()
    current.users[("Default", "nova")]["enabled"] = False
    del current.password_ok[("Default", "nova")]
    config = json.loads(json.dumps(FULL_CLOUD))
    config["users"]["nova"]["enabled"] = True
    assert plan_for(config, current).changes == {
        "users": {"nova": {"enabled": {"old": False, "new": True}, "password": "updated"}}
    }
    config["users"]["nova"]["enabled"] = False
    assert plan_for(config, current).changes == {}  # disabled: password not checked


def test_attribute_updates_report_old_and_new():
    current = applied()
    current.projects[("Default", "demo")] = {"id": "p-demo", "name": "demo"}
    config = json.loads(json.dumps(FULL_CLOUD))
    config["projects"]["service"]["description"] = "Services"
    config["users"]["glance"].update(email="images@example.org", project="demo")
    config["services"]["nova"]["description"] = "Compute"
    config["services"]["nova"]["endpoints"]["internal"] = "http://nova.internal:8774/v2.1"
    plan = plan_for(config, current)
    assert plan.changes == {
        "projects": {"service": {"description": {"old": "Service Project", "new": "Services"}}},
        "users": {
            "glance": {
                "email": {"old": "glance@example.org", "new": "images@example.org"},
                "project": {"old": "service", "new": "demo"},
            }
        },
        "services": {"nova": {"description": {"old": "OpenStack Compute", "new": "Compute"}}},
        "endpoints": {
            "nova/internal/RegionOne": {
                "url": {
                    "old": "http://controller:8774/v2.1",
                    "new": "http://nova.internal:8774/v2.1",
                }
            }
        },
    }
    patches = {a.path: a.body for a in plan.actions}
    assert patches[("users", "u-glance")] == {
        "user": {"email": "images@example.org", "default_project_id": "p-demo"}
    }
    assert patches[("endpoints", "e-nova-internal")] == {
        "endpoint": {"url": "http://nova.internal:8774/v2.1"}
    }


def test_missing_endpoint_of_existing_service_uses_its_id():
    current = applied()
    del current.endpoints[("s-nova", "admin", "RegionOne")]
    plan = plan_for(FULL_CLOUD, current)
    (action,) = plan.actions
    assert action.body["endpoint"] == {
        "service_id": "s-nova",
        "interface": "admin",
        "region_id": "RegionOne",
        "url": "http://controller:8774/v2.1",
    }


def test_only_missing_grants_are_added():
    current = applied()
    current.assignments.discard(("u-neutron", "project", "p-service", "r-service"))
    plan = plan_for(FULL_CLOUD, current)
    assert plan.changes == {"grants": {"neutron": ["service on project service"]}}
    assert plan.actions[0].path == (
        "projects", identity.Ref("project", ("Default", "service")),
        "users", identity.Ref("user", ("Default", "neutron")),
        "roles", identity.Ref("role", "service"),
    )  # fmt: skip


def test_regions_domains_and_domain_names():
    config = {
        "region": "RegionTwo",
        "regions": {"RegionOne": {"description": "Main"}},
        "domains": {"heat": {"description": "Stacks"}},
        "projects": {"stacks": {"domain": "heat"}, "demo": {"domain": "default"}},
        "users": {"u": {"domain": "heat", "roles": [{"domain": "heat", "role": "admin"}]}},
        "services": {"heat": {"type": "orchestration", "endpoints": {"public": "http://h"}}},
    }
    plan = plan_for(config, bootstrapped())
    assert plan.changes["regions"] == {
        "RegionOne": {"description": {"old": "", "new": "Main"}},
        "RegionTwo": "created",
    }
    assert plan.changes["domains"] == {"heat": "created"}
    # "default" is the id of the Default domain: the names are the labels.
    assert plan.changes["projects"] == {"stacks@heat": "created", "demo": "created"}
    assert plan.changes["grants"] == {"u@heat": ["admin on domain heat"]}
    assert plan.changes["endpoints"] == {"heat/public/RegionTwo": "created"}


def test_default_region_from_auth_then_first_listed():
    config = {"services": {"s": {"type": "t", "endpoints": {"public": "http://s"}}}}
    desired = identity.resolve(identity.normalize_config(config), bootstrapped(), auth_region="RegionX")
    assert desired.services[0].region == "RegionX"
    config["regions"] = ["RegionY", "RegionZ"]
    desired = identity.resolve(identity.normalize_config(config), bootstrapped())
    assert desired.services[0].region == "RegionY"


@pytest.mark.parametrize(
    "user, message",
    [
        ({"roles": {"nosuch": ["admin"]}}, "project nosuch (domain Default) is neither"),
        ({"roles": {"admin": ["nosuch"]}}, "role nosuch is neither in roles nor in Keystone"),
        ({"project": "nosuch"}, "project nosuch (domain Default)"),
        ({"domain": "nosuch"}, "domain nosuch is neither in domains nor in Keystone"),
        ({"roles": [{"domain": "nosuch", "role": "admin"}]}, "domain nosuch is neither"),
    ],
)
def test_unknown_references(user, message):
    with pytest.raises(CommandExecutionError, match="Invalid keystone_init configuration") as exc:
        plan_for({"users": {"someone": user}}, bootstrapped())
    assert message in str(exc.value)


def test_duplicates_after_resolution():
    config = {"projects": [{"name": "p"}, {"name": "p", "domain": "default"}]}
    with pytest.raises(CommandExecutionError, match="project p is declared twice"):
        plan_for(config, bootstrapped())


class RecordingClient:
    """Answers every call as Keystone would a creation."""

    def __init__(self):
        self.calls = []

    def request(self, method, path, body=None):
        self.calls.append((method, path, body))
        if body:
            (resource,) = body
            return {resource: {"id": f"id-{len(self.calls)}"}}
        return {}


def test_execute_resolves_references_in_order():
    current = bootstrapped()
    plan = plan_for(FULL_CLOUD, current)
    client = RecordingClient()
    ki._execute(client, plan, current.ids)
    assert client.calls[0][:2] == ("POST", "/projects")
    assert client.calls[0][2]["project"]["domain_id"] == "default"
    glance = client.calls[2]
    assert glance[1] == "/users"
    assert glance[2]["user"]["default_project_id"] == "id-1"
    # Grants on the new project, for the new users, with the new role.
    assert client.calls[7][:2] == ("PUT", "/projects/id-1/users/id-3/roles/r-admin")
    assert client.calls[8][:2] == ("PUT", "/projects/id-1/users/id-3/roles/id-2")
    service, endpoint = client.calls[17], client.calls[18]
    assert service[1] == "/services"
    assert endpoint[2]["endpoint"]["service_id"] == "id-18"


def test_execute_failure_says_how_far_it_got():
    class FailingClient(RecordingClient):
        def request(self, method, path, body=None):
            if len(self.calls) == 2:
                raise CommandExecutionError("Keystone: POST /users failed: Conflict (HTTP 409)")
            return super().request(method, path, body)

    current = bootstrapped()
    with pytest.raises(CommandExecutionError, match=r"HTTP 409\) \(2 of 37 changes"):
        ki._execute(FailingClient(), plan_for(FULL_CLOUD, current), current.ids)
