"""
A stand-in for Keystone's token API, Nova's flavors, Neutron's networks,
subnets, routers, ports and security groups and Cinder's volume types: in
memory, answering with the
objects' full field sets and the error bodies of the 2025.1 API reference
(Nova at microversion 2.86, Neutron v2.0), and with the behaviours the
``openstack_cloud`` states rely on or must respect:

* Nova: flavor names and ids are unique (409); only a flavor's description
  and extra specs can change; servers can be listed by flavor;
* Neutron: a read-only attribute (a subnet's CIDR, a network's provider
  attributes) cannot be updated (400); listing a project's security groups
  creates its ``default`` group with four rules; a new group gets two
  egress rules; a rule equal to an existing one (``0.0.0.0/0`` and no
  prefix are equal, as are ``icmp`` and ``1``) is refused (409); a router
  has one interface per subnet (400);
* Cinder (v3): its own ``__DEFAULT__`` type is there from the start; type
  names are unique without case (409); an admin lists private types only
  with ``is_public=None``; extra spec values are strings.

Neutron, Nova and Cinder cannot run on a test host outside the cluster; the states'
logic is proven against this model here and against the real services on
the cluster.

Mounted on ``requests`` (:func:`mount`) or served over HTTP
(:class:`Served`, for the functional tier, behind a real Keystone).
"""
import copy
import http.server
import ipaddress
import itertools
import json
import threading
import urllib.parse

import requests
import requests.adapters

ADMIN_PROJECT = "p-admin"
IDENTITY = "http://keystone.test/v3"
COMPUTE = "http://nova.test/v2.1"
NETWORK = "http://neutron.test"
IMAGE = "http://glance.test/v2"
PLACEMENT = "http://placement.test/placement"
#: Cinder under a path, as devstack serves it: its v3 root is per project.
VOLUME = "http://cinder.test/volume/v3/" + ADMIN_PROJECT

PROTOCOL_NUMBERS = {"icmp": "1", "tcp": "6", "udp": "17", "ipv6-icmp": "58", "icmpv6": "58"}


#: The services' default quotas (Nova 2.86's quota set, Neutron's [quotas]).
NOVA_QUOTA_DEFAULTS = {"cores": 20, "instances": 10, "ram": 51200, "key_pairs": 100,
                       "metadata_items": 128, "server_groups": 10,
                       "server_group_members": 10}  # fmt: skip
NEUTRON_QUOTA_DEFAULTS = {"network": 100, "subnet": 100, "port": 500, "router": 10,
                          "floatingip": 50, "security_group": 10, "security_group_rule": 100,
                          "rbac_policy": 10, "subnetpool": -1}  # fmt: skip


def _quota_update(stored, defaults, update, error):
    unknown = sorted(set(update) - set(defaults))
    if unknown or not all(isinstance(v, int) and v >= -1 for v in update.values()):
        raise error
    stored.update(update)
    return {**defaults, **stored}


class ApiError(Exception):
    def __init__(self, status, body):
        super().__init__(status, body)
        self.status = status
        self.body = body


def neutron_error(status, kind, message):
    return ApiError(status, {"NeutronError": {"type": kind, "message": message, "detail": ""}})


def nova_error(status, kind, message):
    return ApiError(status, {kind: {"code": status, "message": message}})


#: Cinder's errors have Nova's shape.
cinder_error = nova_error


class FakeCloud:
    """The services' state, and the log of every call made to them."""

    def __init__(self, password="admin-secret"):
        self.password = password
        self.tokens = set()
        self.calls = []  # (method, path, query, body)
        self.logins = 0
        self.ids = (f"id-{n:04d}" for n in itertools.count(1))
        self.flavors = {}  # id -> flavor
        self.servers = []  # {"id", "name", "flavor_id"}
        self.networks = {}
        self.subnets = {}
        self.routers = {}
        self.ports = {}
        self.groups = {}
        self.rules = {}
        self.projects = {ADMIN_PROJECT: "admin", "p-demo": "demo"}
        self.nova_quotas = {}  # project id -> the limits set (else NOVA_QUOTA_DEFAULTS)
        self.neutron_quotas = {}
        # Glance, placement and Cinder: registered by the tests that use them.
        self.catalog_urls = {"compute": COMPUTE, "network": NETWORK}
        # Cinder's volume types: id -> type (its own __DEFAULT__ first)
        self.volume_types = {"vt-default": {
            "id": "vt-default", "name": "__DEFAULT__", "description": "Default Volume Type",
            "is_public": True, "extra_specs": {}}}
        # Nova's os-services and Neutron's agents (2.86 / v2.0 fields used)
        self.services = []  # {"binary", "host", "state", "status"}
        self.agents = []  # {"agent_type", "host", "alive"}
        self.images = []
        # Day 2 (compute_drain, compute_forget): placement's providers
        # {"uuid", "name", "inventories"} (usages and allocations are the
        # hosts' servers, see placement()), consumers held without a server
        # {provider uuid: [consumer]}, live migrations asked for, and the
        # hosts a live migration to fails on.
        self.providers = []
        self.stray_allocations = {}
        self.migrations = []
        self.migration_fails_to = set()
        self.agents_share_chassis = False
        self.migration_completes_late = False
        self.late_migrations = []

    # -- the log ----------------------------------------------------------

    def writes(self):
        return [(m, p) for m, p, _, _ in self.calls if m != "GET" and not p.startswith("/v3/auth")]

    # -- dispatch ---------------------------------------------------------

    def handle(self, method, url, headers, body):
        """(status, headers, body) of one request."""
        parts = urllib.parse.urlsplit(url)
        path = parts.path
        query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        query = {k: v[-1] for k, v in query.items()}
        data = json.loads(body) if body else None
        self.calls.append((method, path, query, data))
        try:
            if path.startswith("/v3/"):
                return self.keystone(method, path, query, data)
            if headers.get("X-Auth-Token") not in self.tokens:
                raise ApiError(401, {"error": {"code": 401, "title": "Unauthorized",
                                               "message": "The request you have made requires "
                                                          "authentication."}})  # fmt: skip
            if path.startswith("/v2.1/"):
                return 200, {}, self.nova(method, path[len("/v2.1"):], query, data, headers)
            if path.startswith("/v2.0/"):
                status, answer = self.neutron(method, path[len("/v2.0"):], query, data)
                return status, {}, answer
            if path.startswith("/volume/v3/"):  # /volume/v3/<project id>/...
                rest = path[len("/volume/v3/"):].partition("/")[2]
                return 200, {}, self.cinder(method, "/" + rest, query, data)
            if path.startswith("/placement/"):
                status, answer = self.placement(method, path[len("/placement"):], headers)
                return status, {}, answer
            if path == "/v2/images" and method == "GET":
                return 200, {}, {"images": copy.deepcopy(self.images[:int(query.get("limit", 25))])}
            raise ApiError(404, {"itemNotFound": {"code": 404, "message": f"no {path}"}})
        except ApiError as exc:
            return exc.status, {}, exc.body

    # -- Keystone ---------------------------------------------------------

    def keystone(self, method, path, query, data):
        if method == "POST" and path == "/v3/auth/tokens":
            user = data["auth"]["identity"]["password"]["user"]
            if user.get("name") != "admin" or user.get("password") != self.password:
                raise ApiError(401, {"error": {"code": 401, "title": "Unauthorized",
                                               "message": "The request you have made requires "
                                                          "authentication."}})  # fmt: skip
            self.logins += 1
            token = f"token-{self.logins}"
            self.tokens.add(token)
            catalog = [
                {"type": kind, "name": name, "id": f"svc-{kind}",
                 "endpoints": [{"id": f"ep-{kind}-{i}", "interface": i, "region": "RegionOne",
                                "region_id": "RegionOne", "url": self.catalog_urls[kind]}
                               for i in ("public", "internal", "admin")]}
                for kind, name in (("compute", "nova"), ("network", "neutron"), ("image", "glance"),
                                   ("placement", "placement"), ("volumev3", "cinderv3"))
                if kind in self.catalog_urls  # a service not registered (yet)
            ]  # fmt: skip
            answer = {"token": {"user": {"id": "u-admin", "name": "admin"},
                                "project": {"id": ADMIN_PROJECT, "name": "admin"},
                                "catalog": catalog, "methods": ["password"]}}  # fmt: skip
            return 201, {"X-Subject-Token": token}, answer
        if method == "GET" and path == "/v3/projects":
            found = [{"id": pid, "name": name, "domain_id": "default"}
                     for pid, name in self.projects.items() if name == query.get("name")]  # fmt: skip
            return 200, {}, {"projects": found}
        raise ApiError(404, {"error": {"code": 404, "title": "Not Found", "message": path}})

    # -- Nova (2.86) --------------------------------------------------------

    def nova(self, method, path, query, data, headers):
        assert headers.get("OpenStack-API-Version") == "compute 2.86", headers
        segments = [urllib.parse.unquote(s) for s in path.strip("/").split("/")]
        if segments == ["os-services"] and method == "GET":
            return {"services": [{"disabled_reason": None, **s, "id": self._service_id(s),
                                  "zone": "nova", "updated_at": "2026-12-03T18:00:00.000000",
                                  "forced_down": False}
                                 for s in self.services]}
        if segments[0] == "os-services" and len(segments) == 2:
            return self.service_api(method, segments[1], data)
        if segments == ["servers", "detail"] and method == "GET":
            assert query.get("all_tenants") == "True"
            return {"servers": [self.server_view(s) for s in self.servers
                                if s.get("host") and s["host"] == query.get("host", s["host"])]}
        if segments == ["os-migrations"] and method == "GET":
            for migration in self.late_migrations:
                migration["status"] = "completed" if migration.get("seen") else "running"
                migration["seen"] = True
            return {"migrations": [dict(m) for m in self.migrations
                                   if m["instance_uuid"] == query.get("instance_uuid")]}
        if segments[0] == "servers" and len(segments) >= 2 and segments[1] != "detail":
            return self.server_api(method, segments[1], segments[2:], data)
        if segments == ["flavors", "detail"] and method == "GET":
            return {"flavors": [copy.deepcopy(f) for f in self.flavors.values()]}
        if segments == ["flavors"] and method == "POST":
            return {"flavor": self.create_flavor(data["flavor"])}
        if segments == ["servers"] and method == "GET":
            assert query.get("all_tenants") == "True"
            servers = [s for s in self.servers if s.get("flavor_id") == query.get("flavor")]
            return {"servers": [{"id": s["id"], "name": s["name"], "links": []} for s in servers]}
        if segments[0] == "os-quota-sets" and len(segments) == 2:
            stored = self.nova_quotas.setdefault(segments[1], {})
            if method == "GET":
                return {"quota_set": {"id": segments[1], **NOVA_QUOTA_DEFAULTS, **stored}}
            if method == "PUT":
                error = nova_error(400, "badRequest", "Invalid input for field/attribute "
                                                      "quota_set.")  # fmt: skip
                return {"quota_set": _quota_update(stored, NOVA_QUOTA_DEFAULTS,
                                                   data["quota_set"], error)}  # fmt: skip
        if segments[0] == "flavors" and len(segments) >= 2:
            flavor = self.flavors.get(segments[1])
            if flavor is None:
                raise nova_error(404, "itemNotFound", f"Flavor {segments[1]} could not be found.")
            if len(segments) == 2 and method == "DELETE":
                del self.flavors[segments[1]]
                return {}
            if len(segments) == 2 and method == "PUT":
                if set(data["flavor"]) != {"description"}:
                    raise nova_error(400, "badRequest", "Additional properties are not allowed")
                flavor["description"] = data["flavor"]["description"]
                return {"flavor": copy.deepcopy(flavor)}
            if segments[2:] == ["os-extra_specs"] and method == "POST":
                flavor["extra_specs"].update(data["extra_specs"])
                return {"extra_specs": dict(data["extra_specs"])}
            if len(segments) == 4 and segments[2] == "os-extra_specs" and method == "DELETE":
                if segments[3] not in flavor["extra_specs"]:
                    raise nova_error(404, "itemNotFound", f"Flavor {segments[1]} has no extra "
                                                          f"specs with key {segments[3]}.")  # fmt: skip
                del flavor["extra_specs"][segments[3]]
                return {}
        raise nova_error(404, "itemNotFound", f"no {method} {path}")

    @staticmethod
    def _service_id(service):
        return service.setdefault("id", f"svc-{service['binary']}-{service['host']}")

    def service_api(self, method, service_id, data):
        found = [s for s in self.services if self._service_id(s) == service_id]
        if not found:
            raise nova_error(404, "itemNotFound", f"Service {service_id} not found.")
        service = found[0]
        if method == "PUT":
            if set(data) - {"status", "disabled_reason", "forced_down"}:
                raise nova_error(400, "badRequest", "Additional properties are not allowed")
            service.update(data)
            return {"service": dict(service)}
        if method == "DELETE":
            if service["binary"] == "nova-compute":
                if any(s.get("host") == service["host"] for s in self.servers):
                    raise nova_error(409, "conflictingRequest",
                                     "Unable to delete compute service that is hosting instances. "
                                     "Migrate or delete the instances first.")
                # Nova deletes the compute node's resource provider.
                self.providers = [p for p in self.providers if p["name"] != service["host"]]
            self.services.remove(service)
            return {}
        raise nova_error(405, "HTTPMethodNotAllowed", method)

    @staticmethod
    def server_view(server):
        return {"id": server["id"], "name": server["name"], "status": server.get("status", "ACTIVE"),
                "OS-EXT-SRV-ATTR:host": server.get("host"), "OS-EXT-STS:task_state": None,
                "flavor": dict(server.get("flavor") or {}), "links": []}

    def server_api(self, method, server_id, rest, data):
        found = [s for s in self.servers if s["id"] == server_id]
        if not found:
            raise nova_error(404, "itemNotFound", f"Instance {server_id} could not be found.")
        server = found[0]
        if method == "GET" and not rest:
            return {"server": self.server_view(server)}
        if method == "POST" and rest == ["action"] and "os-migrateLive" in data:
            # The scheduler: the first other compute up and enabled.
            targets = sorted(s["host"] for s in self.services
                             if s["binary"] == "nova-compute" and s["state"] == "up"
                             and s["status"] == "enabled" and s["host"] != server["host"])
            if not targets:
                raise nova_error(400, "badRequest", "No valid host was found.")
            migration = {"id": len(self.migrations) + 1, "instance_uuid": server_id,
                         "migration_type": "live-migration", "source_compute": server["host"],
                         "dest_compute": targets[0], "status": "completed"}
            if targets[0] in self.migration_fails_to:
                migration["status"] = "error"
            else:
                server["host"] = targets[0]
                # The record completes a poll after the server moved (the
                # source's clean-up), when asked to.
                if self.migration_completes_late:
                    migration["status"] = "running"
                    self.late_migrations.append(migration)
            self.migrations.append(migration)
            return {}
        raise nova_error(404, "itemNotFound", f"no {method} servers/{server_id}/{'/'.join(rest)}")

    # -- Placement (1.10) ---------------------------------------------------

    def _provider_servers(self, provider):
        return [s for s in self.servers if s.get("host") == provider["name"]]

    def placement(self, method, path, headers):
        assert headers.get("OpenStack-API-Version") == "placement 1.10", headers
        segments = path.strip("/").split("/")
        if segments == ["resource_providers"] and method == "GET":
            return 200, {"resource_providers": [{"uuid": p["uuid"], "name": p["name"],
                                                 "generation": 1} for p in self.providers]}
        found = [p for p in self.providers if len(segments) >= 2 and p["uuid"] == segments[1]]
        if segments[0] != "resource_providers" or not found:
            return 404, {"errors": [{"status": 404, "title": "Not Found", "detail": path}]}
        provider = found[0]
        consumers = {s["id"]: s for s in self._provider_servers(provider)}
        stray = self.stray_allocations.get(provider["uuid"], [])
        if segments[2:] == ["inventories"] and method == "GET":
            return 200, {"inventories": copy.deepcopy(provider["inventories"]),
                         "resource_provider_generation": 1}
        if segments[2:] == ["usages"] and method == "GET":
            return 200, {"usages": {"VCPU": sum(s["flavor"]["vcpus"] for s in consumers.values()),
                                    "MEMORY_MB": sum(s["flavor"]["ram"] for s in consumers.values())},
                         "resource_provider_generation": 1}
        if segments[2:] == ["allocations"] and method == "GET":
            held = {c: {"resources": {}} for c in list(consumers) + list(stray)}
            return 200, {"allocations": held, "resource_provider_generation": 1}
        if len(segments) == 2 and method == "DELETE":
            if consumers or stray:
                return 409, {"errors": [{"status": 409, "title": "Conflict",
                                         "detail": "the provider has allocations"}]}
            self.providers.remove(provider)
            return 204, None
        return 405, {"errors": [{"status": 405, "title": "Method Not Allowed", "detail": path}]}

    def create_flavor(self, body):
        if any(f["name"] == body["name"] for f in self.flavors.values()):
            raise nova_error(409, "conflictingRequest",
                             f"Flavor with name {body['name']} already exists.")
        flavor_id = str(body.get("id") or next(self.ids))
        if flavor_id in self.flavors:
            raise nova_error(409, "conflictingRequest", f"Flavor with ID {flavor_id} already exists.")
        flavor = {
            "OS-FLV-DISABLED:disabled": False,
            "disk": body["disk"],
            "OS-FLV-EXT-DATA:ephemeral": body.get("OS-FLV-EXT-DATA:ephemeral", 0),
            "os-flavor-access:is_public": body.get("os-flavor-access:is_public", True),
            "id": flavor_id,
            "links": [{"href": f"{COMPUTE}/flavors/{flavor_id}", "rel": "self"}],
            "name": body["name"],
            "ram": body["ram"],
            "swap": body.get("swap", 0),
            "rxtx_factor": 1.0,
            "vcpus": body["vcpus"],
            "description": body.get("description"),
            "extra_specs": {},
        }
        self.flavors[flavor_id] = flavor
        return copy.deepcopy(flavor)

    # -- Cinder (v3) ------------------------------------------------------

    @staticmethod
    def volume_type_view(volume_type):
        return {**copy.deepcopy(volume_type), "qos_specs_id": None,
                "os-volume-type-access:is_public": volume_type["is_public"]}

    def volume_type_name_free(self, name, renamed=None):
        """Cinder's database compares type names without case: lvm is LVM (409)."""
        if any(t["name"].lower() == name.lower() and t["id"] != renamed
               for t in self.volume_types.values()):
            raise cinder_error(409, "conflictingRequest", f"Volume Type {name} already exists.")

    def cinder(self, method, path, query, data):
        segments = [urllib.parse.unquote(s) for s in path.strip("/").split("/")]
        if segments == ["types"] and method == "GET":
            wanted = {"none": None, "false": False}.get(query.get("is_public", "true").lower(), True)
            return {"volume_types": [self.volume_type_view(t) for t in self.volume_types.values()
                                     if wanted is None or t["is_public"] == wanted]}
        if segments == ["types"] and method == "POST":
            body = data["volume_type"]
            allowed = {"name", "description", "os-volume-type-access:is_public", "extra_specs"}
            if set(body) - allowed or not all(isinstance(v, str) for v in
                                               (body.get("extra_specs") or {}).values()):
                raise cinder_error(400, "badRequest", "Invalid input for field/attribute "
                                                      "volume_type.")  # fmt: skip
            self.volume_type_name_free(body["name"])
            type_id = next(self.ids)
            self.volume_types[type_id] = {
                "id": type_id, "name": body["name"], "description": body.get("description"),
                "is_public": body.get("os-volume-type-access:is_public", True),
                "extra_specs": dict(body.get("extra_specs") or {})}
            return {"volume_type": self.volume_type_view(self.volume_types[type_id])}
        if segments[0] != "types" or len(segments) < 2 or segments[1] not in self.volume_types:
            raise cinder_error(404, "itemNotFound", f"Volume type with id {segments[1:2]} "
                                                    "could not be found.")  # fmt: skip
        volume_type = self.volume_types[segments[1]]
        if len(segments) == 2 and method == "PUT":
            update = data["volume_type"]
            if set(update) - {"name", "description", "is_public"} or not isinstance(
                    update.get("is_public", True), bool):
                raise cinder_error(400, "badRequest", "Invalid input for field/attribute "
                                                      "volume_type.")  # fmt: skip
            if "name" in update:
                self.volume_type_name_free(update["name"], volume_type["id"])
            volume_type.update(update)
            return {"volume_type": self.volume_type_view(volume_type)}
        if segments[2:] == ["extra_specs"] and method == "GET":
            return {"extra_specs": dict(volume_type["extra_specs"])}
        if segments[2:] == ["extra_specs"] and method == "POST":
            if not all(isinstance(v, str) for v in data["extra_specs"].values()):
                raise cinder_error(400, "badRequest", "Invalid input for field/attribute "
                                                      "extra_specs.")  # fmt: skip
            volume_type["extra_specs"].update(data["extra_specs"])
            return {"extra_specs": dict(data["extra_specs"])}
        raise cinder_error(404, "itemNotFound", f"no {method} {path}")

    # -- Neutron (v2.0) ---------------------------------------------------

    def agents_api(self, method, rest, query, data):
        for n, agent in enumerate(self.agents):
            agent.setdefault("id", f"agent-{agent['host']}-{n}")
        if method == "GET" and not rest:
            return 200, {"agents": [dict(a, admin_state_up=True, binary="", topic="N/A",
                                         configurations={}) for a in self.agents]}
        if method == "DELETE" and len(rest) == 1:
            found = [a for a in self.agents if a["id"] == rest[0]]
            if not found:
                raise neutron_error(404, "AgentNotFound", f"Agent {rest[0]} could not be found.")
            self.agents.remove(found[0])
            if self.agents_share_chassis:
                # ML2/OVN: a host's agents are views of its chassis.
                self.agents[:] = [a for a in self.agents if a["host"] != found[0]["host"]]
            return 204, None
        raise neutron_error(405, "HTTPMethodNotAllowed", f"{method} agents/{'/'.join(rest)}")

    def neutron(self, method, path, query, data):
        segments = path.strip("/").split("/")
        collection = segments[0]
        handler = {
            "networks": self.networks_api,
            "subnets": self.subnets_api,
            "routers": self.routers_api,
            "ports": self.ports_api,
            "security-groups": self.groups_api,
            "security-group-rules": self.rules_api,
            "quotas": self.quotas_api,
            "agents": self.agents_api,
        }.get(collection)
        if handler is None:
            raise neutron_error(404, "HTTPNotFound", f"The resource could not be found: {path}")
        return handler(method, segments[1:], query, data)

    def quotas_api(self, method, rest, query, data):
        stored = self.neutron_quotas.setdefault(rest[0], {})
        if method == "GET":
            return 200, {"quota": {**NEUTRON_QUOTA_DEFAULTS, **stored}}
        error = neutron_error(400, "HTTPBadRequest", "Invalid input for quota")
        return 200, {"quota": _quota_update(stored, NEUTRON_QUOTA_DEFAULTS, data["quota"], error)}

    @staticmethod
    def _filtered(objects, query):
        def matches(obj):
            for key, value in query.items():
                if key == "fields":
                    continue
                have = obj.get(key)
                if isinstance(have, bool):
                    have = str(have)
                if have != value:
                    return False
            return True

        return [copy.deepcopy(o) for o in objects.values() if matches(o)]

    def _get(self, objects, kind, object_id):
        if object_id not in objects:
            name = kind.replace("_", " ").title().replace(" ", "")
            raise neutron_error(404, f"{name}NotFound", f"{kind} {object_id} could not be found.")
        return objects[object_id]

    def networks_api(self, method, rest, query, data):
        if not rest and method == "GET":
            return 200, {"networks": self._filtered(self.networks, query)}
        if not rest and method == "POST":
            body = data["network"]
            kind = body.get("provider:network_type", "geneve")
            network = {
                "admin_state_up": body.get("admin_state_up", True),
                "availability_zone_hints": [],
                "availability_zones": [],
                "created_at": "2025-04-01T10:00:00Z",
                "dns_domain": "",
                "id": next(self.ids),
                "ipv4_address_scope": None,
                "ipv6_address_scope": None,
                "l2_adjacency": True,
                "mtu": body.get("mtu", 1500 if kind == "flat" else 1442),
                "name": body["name"],
                "port_security_enabled": body.get("port_security_enabled", True),
                "project_id": body.get("project_id", ADMIN_PROJECT),
                "provider:network_type": kind,
                "provider:physical_network": body.get("provider:physical_network"),
                "provider:segmentation_id": body.get("provider:segmentation_id",
                                                     None if kind == "flat" else 7),
                "qos_policy_id": None,
                "revision_number": 1,
                "router:external": body.get("router:external", False),
                "shared": body.get("shared", False),
                "status": "ACTIVE",
                "subnets": [],
                "tags": [],
                "tenant_id": body.get("project_id", ADMIN_PROJECT),
                "updated_at": "2025-04-01T10:00:00Z",
                "description": body.get("description", ""),
                "is_default": False,
            }  # fmt: skip
            self.networks[network["id"]] = network
            return 201, {"network": copy.deepcopy(network)}
        network = self._get(self.networks, "network", rest[0])
        if method == "GET":
            return 200, {"network": copy.deepcopy(network)}
        if method == "PUT":
            body = data["network"]
            provider = sorted(k for k in body if k.startswith("provider:"))
            if provider:
                raise neutron_error(400, "InvalidInput", "Invalid input for operation: Plugin "
                                                         "does not support updating provider "
                                                         "attributes.")  # fmt: skip
            network.update(body)
            network["revision_number"] += 1
            return 200, {"network": copy.deepcopy(network)}
        raise neutron_error(405, "HTTPMethodNotAllowed", method)

    def subnets_api(self, method, rest, query, data):
        if not rest and method == "GET":
            return 200, {"subnets": self._filtered(self.subnets, query)}
        if not rest and method == "POST":
            body = data["subnet"]
            network = self._get(self.networks, "network", body["network_id"])
            cidr = ipaddress.ip_network(body["cidr"])
            hosts = list(itertools.islice(cidr.hosts(), 2))
            gateway = body.get("gateway_ip", str(hosts[0]))
            first = ipaddress.ip_address(gateway) + 1 if gateway else hosts[0]
            pools = body.get("allocation_pools") or [
                {"start": str(first), "end": str(cidr.broadcast_address - 1)}]
            subnet = {
                "name": body["name"],
                "enable_dhcp": body.get("enable_dhcp", True),
                "network_id": network["id"],
                "segment_id": None,
                "project_id": body.get("project_id", ADMIN_PROJECT),
                "tenant_id": body.get("project_id", ADMIN_PROJECT),
                "created_at": "2025-04-01T10:00:00Z",
                "dns_nameservers": list(body.get("dns_nameservers", [])),
                "allocation_pools": pools,
                "host_routes": list(body.get("host_routes", [])),
                "ip_version": body["ip_version"],
                "gateway_ip": gateway,
                "cidr": str(cidr),
                "updated_at": "2025-04-01T10:00:00Z",
                "id": next(self.ids),
                "description": body.get("description", ""),
                "revision_number": 0,
            }  # fmt: skip
            self.subnets[subnet["id"]] = subnet
            network["subnets"].append(subnet["id"])
            return 201, {"subnet": copy.deepcopy(subnet)}
        subnet = self._get(self.subnets, "subnet", rest[0])
        if method == "PUT":
            body = data["subnet"]
            for key in ("cidr", "ip_version", "network_id"):
                if key in body:
                    raise neutron_error(400, "HTTPBadRequest",
                                        f"Cannot update read-only attribute {key}")
            subnet.update(copy.deepcopy(body))
            return 200, {"subnet": copy.deepcopy(subnet)}
        if method == "GET":
            return 200, {"subnet": copy.deepcopy(subnet)}
        raise neutron_error(405, "HTTPMethodNotAllowed", method)

    def ports_api(self, method, rest, query, data):
        if not rest and method == "GET":
            return 200, {"ports": self._filtered(self.ports, query)}
        raise neutron_error(405, "HTTPMethodNotAllowed", method)

    def _gateway_info(self, info):
        if not info:
            return None
        network = self._get(self.networks, "network", info["network_id"])
        if not network["router:external"]:
            raise neutron_error(400, "BadRequest", f"Bad router request: Network "
                                                   f"{network['id']} is not an external "
                                                   "network.")  # fmt: skip
        fixed = [{"subnet_id": s, "ip_address": str(
            ipaddress.ip_address(self.subnets[s]["allocation_pools"][0]["start"]))}
            for s in network["subnets"][:1]]  # fmt: skip
        return {"network_id": network["id"], "enable_snat": info.get("enable_snat", True),
                "external_fixed_ips": fixed}  # fmt: skip

    def routers_api(self, method, rest, query, data):
        if not rest and method == "GET":
            return 200, {"routers": self._filtered(self.routers, query)}
        if not rest and method == "POST":
            body = data["router"]
            router = {
                "admin_state_up": body.get("admin_state_up", True),
                "availability_zone_hints": [],
                "availability_zones": [],
                "description": body.get("description", ""),
                "distributed": False,
                "external_gateway_info": self._gateway_info(body.get("external_gateway_info")),
                "ha": False,
                "id": next(self.ids),
                "name": body["name"],
                "revision_number": 1,
                "routes": [],
                "status": "ACTIVE",
                "project_id": body.get("project_id", ADMIN_PROJECT),
                "tenant_id": body.get("project_id", ADMIN_PROJECT),
            }  # fmt: skip
            self.routers[router["id"]] = router
            return 201, {"router": copy.deepcopy(router)}
        router = self._get(self.routers, "router", rest[0])
        if rest[1:] == ["add_router_interface"] and method == "PUT":
            subnet = self._get(self.subnets, "subnet", data["subnet_id"])
            for port in self.ports.values():
                if port["device_id"] == router["id"] and any(
                        ip["subnet_id"] == subnet["id"] for ip in port["fixed_ips"]):
                    raise neutron_error(400, "BadRequest", "Bad router request: Router already "
                                                           "has a port on subnet "
                                                           f"{subnet['id']}.")  # fmt: skip
            port = {"id": next(self.ids), "device_id": router["id"],
                    "device_owner": "network:router_interface", "network_id": subnet["network_id"],
                    "fixed_ips": [{"subnet_id": subnet["id"], "ip_address": subnet["gateway_ip"]}],
                    "project_id": router["project_id"]}  # fmt: skip
            self.ports[port["id"]] = port
            return 200, {"id": router["id"], "network_id": subnet["network_id"],
                         "port_id": port["id"], "subnet_id": subnet["id"],
                         "subnet_ids": [subnet["id"]], "project_id": router["project_id"],
                         "tenant_id": router["project_id"]}  # fmt: skip
        if not rest[1:] and method == "PUT":
            body = dict(data["router"])
            if "external_gateway_info" in body:
                body["external_gateway_info"] = self._gateway_info(body["external_gateway_info"])
            router.update(body)
            return 200, {"router": copy.deepcopy(router)}
        if not rest[1:] and method == "GET":
            return 200, {"router": copy.deepcopy(router)}
        raise neutron_error(405, "HTTPMethodNotAllowed", method)

    # security groups

    def _rule(self, group_id, project, **fields):
        rule = {"direction": "ingress", "ethertype": "IPv4", "id": next(self.ids),
                "port_range_max": None, "port_range_min": None, "protocol": None,
                "remote_group_id": None, "remote_ip_prefix": None,
                "remote_address_group_id": None, "normalized_cidr": None,
                "security_group_id": group_id, "project_id": project, "tenant_id": project,
                "revision_number": 0, "tags": [], "description": "",
                "created_at": "2025-04-01T10:00:00Z", "updated_at": "2025-04-01T10:00:00Z",
                "belongs_to_default_sg": False}  # fmt: skip
        rule.update(fields)
        if rule["remote_ip_prefix"]:
            rule["normalized_cidr"] = str(ipaddress.ip_network(rule["remote_ip_prefix"], strict=False))
        self.rules[rule["id"]] = rule
        return rule

    def _new_group(self, name, project, description="", default=False):
        group = {"id": next(self.ids), "name": name, "description": description,
                 "project_id": project, "tenant_id": project, "stateful": True, "shared": False,
                 "revision_number": 1, "tags": [], "created_at": "2025-04-01T10:00:00Z",
                 "updated_at": "2025-04-01T10:00:00Z"}  # fmt: skip
        self.groups[group["id"]] = group
        for ethertype in ("IPv4", "IPv6"):
            self._rule(group["id"], project, direction="egress", ethertype=ethertype)
            if default:
                self._rule(group["id"], project, ethertype=ethertype, remote_group_id=group["id"])
        return group

    def _with_rules(self, group):
        group = copy.deepcopy(group)
        group["security_group_rules"] = [copy.deepcopy(r) for r in self.rules.values()
                                         if r["security_group_id"] == group["id"]]  # fmt: skip
        return group

    def groups_api(self, method, rest, query, data):
        if not rest and method == "GET":
            project = query.get("project_id", ADMIN_PROJECT)
            if not any(g["project_id"] == project and g["name"] == "default"
                       for g in self.groups.values()):  # fmt: skip
                self._new_group("default", project, "Default security group", default=True)
            return 200, {"security_groups": [self._with_rules(g)
                                             for g in self._filtered(self.groups, query)]}  # fmt: skip
        if not rest and method == "POST":
            body = data["security_group"]
            group = self._new_group(body["name"], body.get("project_id", ADMIN_PROJECT),
                                    body.get("description", ""))  # fmt: skip
            return 201, {"security_group": self._with_rules(group)}
        group = self._get(self.groups, "security_group", rest[0])
        if method == "GET":
            return 200, {"security_group": self._with_rules(group)}
        if method == "PUT":
            group.update(data["security_group"])
            return 200, {"security_group": self._with_rules(group)}
        raise neutron_error(405, "HTTPMethodNotAllowed", method)

    @staticmethod
    def rule_identity(rule):
        """Neutron's duplicate check: any prefix is none, names are numbers."""
        prefix = rule.get("remote_ip_prefix")
        if prefix in ("0.0.0.0/0", "::/0"):
            prefix = None
        protocol = rule.get("protocol")
        if protocol is not None:
            protocol = PROTOCOL_NUMBERS.get(str(protocol), str(protocol))
            if rule.get("ethertype") == "IPv6" and protocol == "1":
                protocol = "58"
        return (rule.get("direction"), rule.get("ethertype"), rule.get("port_range_max"),
                rule.get("port_range_min"), protocol, rule.get("remote_group_id"), prefix,
                rule["security_group_id"])  # fmt: skip

    def rules_api(self, method, rest, query, data):
        if not rest and method == "POST":
            body = data["security_group_rule"]
            group = self._get(self.groups, "security_group", body["security_group_id"])
            if body.get("protocol") in ("tcp", "udp") and (body.get("port_range_min") is None) != (
                    body.get("port_range_max") is None):
                raise neutron_error(400, "SecurityGroupInvalidPortRange",
                                    "For TCP/UDP protocols, port_range_min must be <= "
                                    "port_range_max")  # fmt: skip
            wanted = self.rule_identity(body)
            for rule in self.rules.values():
                if self.rule_identity(rule) == wanted:
                    raise neutron_error(409, "SecurityGroupRuleExists", "Security group rule "
                                                                        "already exists. Rule id "
                                                                        f"is {rule['id']}.")  # fmt: skip
            fields = {k: v for k, v in body.items() if k != "security_group_id"}
            rule = self._rule(group["id"], group["project_id"], **fields)
            return 201, {"security_group_rule": copy.deepcopy(rule)}
        if len(rest) == 1 and method == "DELETE":
            self._get(self.rules, "security_group_rule", rest[0])
            del self.rules[rest[0]]
            return 204, None
        raise neutron_error(405, "HTTPMethodNotAllowed", method)


# --------------------------------------------------------------------------
# Transports
# --------------------------------------------------------------------------


class Adapter(requests.adapters.BaseAdapter):
    """``requests`` transport answering from a :class:`FakeCloud`."""

    def __init__(self, cloud):
        super().__init__()
        self.cloud = cloud

    def send(self, request, **kwargs):  # pylint: disable=arguments-differ
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        status, headers, answer = self.cloud.handle(request.method, request.url,
                                                    request.headers, body)  # fmt: skip
        response = requests.Response()
        response.status_code = status
        response.reason = http.HTTPStatus(status).phrase
        response.headers.update(headers)
        response.headers["Content-Type"] = "application/json"
        response._content = b"" if answer is None else json.dumps(answer).encode()
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass


def mount(monkeypatch, cloud, module_requests):
    """Make every ``requests.Session`` of ``module_requests`` talk to ``cloud``."""
    real = module_requests.Session

    class Session(real):
        def __init__(self):
            super().__init__()
            real.mount(self, "http://", Adapter(cloud))

        def mount(self, prefix, adapter):
            """The cloud answers every URL: the client's own adapters (its
            retry policy) are not mounted over it."""

    monkeypatch.setattr(module_requests, "Session", Session)


class Served:
    """
    The Nova and Neutron of a :class:`FakeCloud` over real HTTP on
    127.0.0.1, for a real Keystone's catalog. ``check_token(token)`` (if
    given) decides which tokens are valid.
    """

    def __init__(self, cloud, check_token=None):
        self.cloud = cloud
        served = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else None
                token = self.headers.get("X-Auth-Token")
                if token and check_token and token not in served.cloud.tokens:
                    if check_token(token):
                        served.cloud.tokens.add(token)
                url = f"http://{self.headers['Host']}{self.path}"
                status, headers, answer = served.cloud.handle(self.command, url,
                                                              dict(self.headers), body)  # fmt: skip
                payload = b"" if answer is None else json.dumps(answer).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args):  # quiet
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
