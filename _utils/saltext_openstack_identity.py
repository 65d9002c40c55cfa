"""
The plans of ``keystone_init``: the identity configuration's syntax checked
and normalized (:func:`normalize_config`, no Keystone needed), Keystone's
objects indexed by their natural keys (:class:`Current`), the configuration
resolved against them (:func:`resolve`), and the API calls that turn one
into the other with the changes they make (:func:`diff`). Pure: no API
call, no Salt dunder, so that every decision is unit-tested; the module
lists Keystone's objects, checks the passwords and makes the calls.

Every mistake raises ``CommandExecutionError`` ("Invalid keystone_init
configuration: ...") before anything is written. No password appears in a
report, an error or a ``repr``. Imported like ``saltext_openstack_api``
(see there), not a loader module.
"""
import dataclasses

from salt.exceptions import CommandExecutionError

# The OpenStack client's constants (_utils/), imported as the modules do.
try:
    import saltext_openstack_api as api
except ImportError:
    from saltext_openstack._utils import saltext_openstack_api as api

DEFAULT_DOMAIN = api.DEFAULT_DOMAIN
DEFAULT_REGION = "RegionOne"
INTERFACES = ("public", "internal", "admin")

_TOP_KEYS = ("region", "regions", "domains", "projects", "roles", "users", "services")
_REGION_KEYS = ("description",)
_DOMAIN_KEYS = ("description", "enabled")
_PROJECT_KEYS = ("description", "domain", "enabled")
_USER_KEYS = (
    "password",
    "email",
    "description",
    "domain",
    "enabled",
    "project",
    "project_domain",
    "roles",
)
_GRANT_KEYS = ("project", "project_domain", "domain", "role", "roles")
_SERVICE_KEYS = ("type", "description", "enabled", "region", "endpoints")
_STRING_FIELDS = ("description", "email", "type")


def __virtual__():
    # Also found by Salt's utils loader in extmods/utils: not a __utils__ module.
    return (False, "saltext_openstack_identity is imported by keystone_init directly")


# --------------------------------------------------------------------------
# Configuration: syntax (no Keystone needed)
# --------------------------------------------------------------------------


@dataclasses.dataclass
class Grant:
    role: str
    kind: str  # "project" or "domain"
    target: str
    project_domain: str = DEFAULT_DOMAIN


@dataclasses.dataclass
class UserSpec:
    name: str
    domain: str = DEFAULT_DOMAIN
    fields: dict = dataclasses.field(default_factory=dict)
    password: str = dataclasses.field(default=None, repr=False)
    project: str = None
    project_domain: str = DEFAULT_DOMAIN
    grants: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class ServiceSpec:
    name: str
    fields: dict
    region: str = None
    endpoints: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class ConfigSpec:
    region: str = None
    regions: dict = dataclasses.field(default_factory=dict)
    domains: dict = dataclasses.field(default_factory=dict)
    projects: list = dataclasses.field(default_factory=list)
    roles: list = dataclasses.field(default_factory=list)
    users: list = dataclasses.field(default_factory=list)
    services: list = dataclasses.field(default_factory=list)


def _error(message):
    return CommandExecutionError(f"Invalid keystone_init configuration: {message}")


def _name(value, what):
    if not isinstance(value, str) or not value.strip():
        raise _error(f"{what} names must be non-empty strings, got {value!r}")
    return value


def _entries(value, what, shorthand=None):
    """
    ``[(name, attributes)]`` from any of: None, a name, a list of names or of
    dicts with a ``name``, or a dict of name -> attributes (None, or a string
    that is the ``shorthand`` attribute).
    """
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = []
        for item in value:
            if isinstance(item, dict) and "name" in item:
                item = dict(item)
                items.append((item.pop("name"), item))
            else:
                items.append((item, None))
    else:
        raise _error(f"{what}s must be a list or a mapping, got {type(value).__name__}")
    entries = []
    for name, attrs in items:
        name = _name(name, what)
        if attrs is None:
            attrs = {}
        elif isinstance(attrs, str) and shorthand:
            attrs = {shorthand: attrs}
        elif not isinstance(attrs, dict):
            raise _error(f"{what} {name}: expected a mapping, got {type(attrs).__name__}")
        entries.append((name, attrs))
    return entries


def _check_keys(attrs, allowed, where):
    unknown = sorted(set(attrs) - set(allowed))
    if unknown:
        raise _error(
            "unknown key(s) {} in {}; allowed: {}".format(
                ", ".join(map(str, unknown)), where, ", ".join(allowed)
            )
        )


def _fields(attrs, keys, where):
    """The plain attributes among ``keys``, type-checked."""
    fields = {}
    for key in keys:
        if key not in attrs:
            continue
        value = attrs[key]
        if key == "enabled":
            if not isinstance(value, bool):
                raise _error(f"{where}: enabled must be true or false")
        elif key in _STRING_FIELDS and not isinstance(value, str):
            raise _error(f"{where}: {key} must be a string")
        fields[key] = value
    return fields


def _string_list(value, where):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise _error(f"{where}: expected a role name or a list of role names")
    return [_name(item, "role") for item in value]


def _grants(value, user):
    where = f"the roles of user {user.name}"
    grants = []
    if isinstance(value, dict):
        for project, roles in value.items():
            project = _name(project, "project")
            for role in _string_list(roles, f"{where}, project {project}"):
                grants.append(Grant(role, "project", project, user.project_domain))
        return grants
    if not isinstance(value, list):
        raise _error(f"{where}: expected {{project: [roles]}} or a list of grants")
    for item in value:
        if not isinstance(item, dict):
            raise _error(f"{where}: each grant is a mapping with project or domain, and role")
        _check_keys(item, _GRANT_KEYS, where)
        if ("project" in item) == ("domain" in item):
            raise _error(f"{where}: each grant needs exactly one of project or domain")
        if ("role" in item) == ("roles" in item):
            raise _error(f"{where}: each grant needs exactly one of role or roles")
        roles = _string_list(item.get("role", item.get("roles")), where)
        if "project" in item:
            target = _name(item["project"], "project")
            domain = _name(item.get("project_domain", DEFAULT_DOMAIN), "domain")
            grants.extend(Grant(role, "project", target, domain) for role in roles)
        else:
            target = _name(item["domain"], "domain")
            grants.extend(Grant(role, "domain", target) for role in roles)
    return grants


def normalize_config(config):
    """
    Check the syntax of a configuration dict and return a :class:`ConfigSpec`.
    Raises CommandExecutionError on any mistake; never contacts Keystone.
    """
    if not isinstance(config, dict):
        raise _error("expected a mapping")
    _check_keys(config, _TOP_KEYS, "the configuration")
    spec = ConfigSpec()
    if config.get("region") is not None:
        spec.region = _name(config["region"], "region")

    for name, attrs in _entries(config.get("regions"), "region", "description"):
        _check_keys(attrs, _REGION_KEYS, f"region {name}")
        spec.regions[name] = _fields(attrs, _REGION_KEYS, f"region {name}")

    for name, attrs in _entries(config.get("domains"), "domain", "description"):
        _check_keys(attrs, _DOMAIN_KEYS, f"domain {name}")
        spec.domains[name] = _fields(attrs, _DOMAIN_KEYS, f"domain {name}")

    for name, attrs in _entries(config.get("projects"), "project", "description"):
        where = f"project {name}"
        _check_keys(attrs, _PROJECT_KEYS, where)
        domain = _name(attrs.get("domain", DEFAULT_DOMAIN), "domain")
        spec.projects.append((domain, name, _fields(attrs, ("description", "enabled"), where)))

    roles = config.get("roles") or []
    if isinstance(roles, str):
        roles = [roles]
    if not isinstance(roles, list):
        raise _error("roles must be a list of role names")
    spec.roles = [_name(role, "role") for role in roles]

    for name, attrs in _entries(config.get("users"), "user"):
        where = f"user {name}"
        _check_keys(attrs, _USER_KEYS, where)
        password = attrs.get("password")
        if password is not None and (not isinstance(password, str) or not password):
            raise _error(f"{where}: password must be a non-empty string (quote it in YAML)")
        user = UserSpec(
            name=name,
            domain=_name(attrs.get("domain", DEFAULT_DOMAIN), "domain"),
            fields=_fields(attrs, ("email", "description", "enabled"), where),
            password=password,
            project_domain=_name(attrs.get("project_domain", DEFAULT_DOMAIN), "domain"),
        )
        if attrs.get("project") is not None:
            user.project = _name(attrs["project"], "project")
        if attrs.get("roles") is not None:
            user.grants = _grants(attrs["roles"], user)
        spec.users.append(user)

    for name, attrs in _entries(config.get("services"), "service"):
        where = f"service {name}"
        _check_keys(attrs, _SERVICE_KEYS, where)
        if not attrs.get("type"):
            raise _error(f"{where}: type is required (e.g. compute, image, identity)")
        service = ServiceSpec(name, _fields(attrs, ("type", "description", "enabled"), where))
        if attrs.get("region") is not None:
            service.region = _name(attrs["region"], "region")
        endpoints = attrs.get("endpoints") or {}
        if not isinstance(endpoints, dict):
            raise _error(f"{where}: endpoints must map public/internal/admin to URLs")
        _check_keys(endpoints, INTERFACES, f"the endpoints of {where}")
        for interface, url in endpoints.items():
            if not isinstance(url, str) or not url:
                raise _error(f"{where}: the {interface} endpoint must be a URL")
            service.endpoints[interface] = url
        spec.services.append(service)
    return spec


# --------------------------------------------------------------------------
# Keystone's current state, indexed (the module lists it)
# --------------------------------------------------------------------------


@dataclasses.dataclass
class Current:
    """What Keystone holds, indexed by natural keys."""

    regions: dict = dataclasses.field(default_factory=dict)  # id -> region
    domains: dict = dataclasses.field(default_factory=dict)  # name -> domain
    projects: dict = dataclasses.field(default_factory=dict)  # (domain, name) -> project
    roles: dict = dataclasses.field(default_factory=dict)  # name -> role
    users: dict = dataclasses.field(default_factory=dict)  # (domain, name) -> user
    services: list = dataclasses.field(default_factory=list)
    endpoints: dict = dataclasses.field(default_factory=dict)  # (svc id, interface, region) -> ep
    assignments: set = dataclasses.field(default_factory=set)  # (user, kind, target, role) ids
    self_user_id: str = None
    password_ok: dict = dataclasses.field(default_factory=dict)  # (domain, name) -> bool

    @property
    def ids(self):
        """Natural key -> id of every existing object (see :class:`Ref`)."""
        ids = {("region", key): key for key in self.regions}
        ids.update({("domain", key): obj["id"] for key, obj in self.domains.items()})
        ids.update({("project", key): obj["id"] for key, obj in self.projects.items()})
        ids.update({("role", key): obj["id"] for key, obj in self.roles.items()})
        ids.update({("user", key): obj["id"] for key, obj in self.users.items()})
        return ids

    def find_service(self, name, type_):
        """The service called ``name``, preferring one of type ``type_``."""
        named = [s for s in self.services if s.get("name") == name]
        named.sort(key=lambda s: s.get("type") != type_)
        return named[0] if named else None

    def domain_name(self, ref):
        """The name of an existing domain given its name or id, else None."""
        if ref in self.domains:
            return ref
        for name, domain in self.domains.items():
            if domain["id"] == ref:
                return name
        return None


# --------------------------------------------------------------------------
# Wanted state: the configuration resolved against Keystone
# --------------------------------------------------------------------------


@dataclasses.dataclass
class Desired:
    regions: dict = dataclasses.field(default_factory=dict)  # id -> fields
    domains: dict = dataclasses.field(default_factory=dict)  # name -> fields
    projects: dict = dataclasses.field(default_factory=dict)  # (domain, name) -> fields
    roles: list = dataclasses.field(default_factory=list)
    users: dict = dataclasses.field(default_factory=dict)  # (domain, name) -> UserSpec
    services: list = dataclasses.field(default_factory=list)  # ServiceSpec, region resolved


def resolve(spec, current, auth_region=None):
    """
    Resolve every reference of ``spec`` (domains, projects, roles, regions)
    against the configuration itself and ``current``; raise before anything
    is written when one points nowhere.
    """
    desired = Desired(domains=dict(spec.domains), roles=list(dict.fromkeys(spec.roles)))
    default_region = spec.region or auth_region or next(iter(spec.regions), DEFAULT_REGION)

    def domain(ref, where):
        if ref in desired.domains:
            return ref
        name = current.domain_name(ref)
        if name is None:
            raise _error(f"{where}: domain {ref} is neither in domains nor in Keystone")
        return name

    for dom, name, fields in spec.projects:
        project_key = (domain(dom, f"project {name}"), name)
        if project_key in desired.projects:
            raise _error(f"project {_label(project_key)} is declared twice")
        desired.projects[project_key] = fields

    def project(ref, dom, where):
        project_key = (domain(dom, where), ref)
        if project_key not in desired.projects and project_key not in current.projects:
            raise _error(
                f"{where}: project {ref} (domain {project_key[0]}) is neither in "
                "projects nor in Keystone"
            )
        return project_key

    known_roles = set(desired.roles) | set(current.roles)
    for user in spec.users:
        user_key = (domain(user.domain, f"user {user.name}"), user.name)
        where = f"user {_label(user_key)}"
        if user_key in desired.users:
            raise _error(f"{where} is declared twice")
        resolved = dataclasses.replace(user, domain=user_key[0], grants=[])
        if user.project:
            resolved.project = project(user.project, user.project_domain, where)
        for grant in user.grants:
            if grant.role not in known_roles:
                raise _error(f"{where}: role {grant.role} is neither in roles nor in Keystone")
            if grant.kind == "project":
                target = project(grant.target, grant.project_domain, where)
            else:
                target = domain(grant.target, where)
            resolved.grants.append(Grant(grant.role, grant.kind, target))
        desired.users[user_key] = resolved

    desired.regions = dict(spec.regions)
    if spec.region:
        desired.regions.setdefault(spec.region, {})
    for service in spec.services:
        if any(s.name == service.name for s in desired.services):
            raise _error(f"service {service.name} is declared twice")
        region = service.region or default_region
        if service.endpoints:
            desired.regions.setdefault(region, {})
        desired.services.append(dataclasses.replace(service, region=region))
    return desired


def password_checks(desired, current):
    """``[(user key, user id, password)]``: existing, enabled users to verify."""
    checks = []
    for user_key, user in desired.users.items():
        existing = current.users.get(user_key)
        if user.password and existing and existing.get("enabled", True):
            checks.append((user_key, existing["id"], user.password))
    return checks


# --------------------------------------------------------------------------
# Diff: the API calls to make, and the changes to report
# --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Ref:
    """The id of an object known by its natural key, maybe not created yet."""

    kind: str
    key: object


@dataclasses.dataclass
class Action:
    method: str
    path: tuple  # segments: strings and Refs
    body: dict = dataclasses.field(default=None, repr=False)  # may hold a password
    register: Ref = None  # the created object's id is recorded under this Ref
    resource: str = None  # the key of the object in the response body
    last: bool = False


@dataclasses.dataclass
class Plan:
    actions: list = dataclasses.field(default_factory=list)
    changes: dict = dataclasses.field(default_factory=dict)

    def add(self, section, label, report, action):
        self.actions.append(action)
        if section == "grants":
            self.changes.setdefault(section, {}).setdefault(label, []).append(report)
        else:
            self.changes.setdefault(section, {})[label] = report

    def create(self, section, label, resource, body, register=None):
        collection = resource + "s"
        action = Action("POST", (collection,), {resource: body}, register, resource)
        self.add(section, label, "created", action)

    def update(self, section, label, resource, obj_id, body, report, last=False):
        action = Action("PATCH", (resource + "s", obj_id), {resource: body}, last=last)
        self.add(section, label, report, action)


def _label(key):
    domain, name = key
    return name if domain == DEFAULT_DOMAIN else f"{name}@{domain}"


def _field_updates(existing, wanted):
    """(fields to PATCH, report {field: {old, new}}) for the fields that differ."""
    updates = {k: v for k, v in wanted.items() if existing.get(k) != v}
    report = {k: {"old": existing.get(k), "new": v} for k, v in updates.items()}
    return updates, report


def diff(desired, current):
    """
    The :class:`Plan` turning ``current`` into ``desired``: creations and
    updates in dependency order, never a deletion. Pure: no API call.
    """
    todo = Plan()
    ids = current.ids

    for region_id, fields in desired.regions.items():
        existing = current.regions.get(region_id)
        if existing is None:
            todo.create("regions", region_id, "region", {"id": region_id, **fields})
            continue
        updates, report = _field_updates(existing, fields)
        if updates:
            todo.update("regions", region_id, "region", region_id, updates, report)

    for name, fields in desired.domains.items():
        existing = current.domains.get(name)
        if existing is None:
            body = {"name": name, **fields}
            todo.create("domains", name, "domain", body, Ref("domain", name))
            continue
        updates, report = _field_updates(existing, fields)
        if updates:
            todo.update("domains", name, "domain", existing["id"], updates, report)

    for key, fields in desired.projects.items():
        existing = current.projects.get(key)
        if existing is None:
            body = {"name": key[1], "domain_id": Ref("domain", key[0]), **fields}
            todo.create("projects", _label(key), "project", body, Ref("project", key))
            continue
        updates, report = _field_updates(existing, fields)
        if updates:
            todo.update("projects", _label(key), "project", existing["id"], updates, report)

    for name in desired.roles:
        if name not in current.roles:
            todo.create("roles", name, "role", {"name": name}, Ref("role", name))

    for key, user in desired.users.items():
        _diff_user(todo, key, user, current, ids)

    for key, user in desired.users.items():
        user_id = ids.get(("user", key))
        for grant in user.grants:
            target_id = ids.get((grant.kind, grant.target))
            role_id = ids.get(("role", grant.role))
            if (user_id, grant.kind, target_id, role_id) in current.assignments:
                continue
            target = grant.target if grant.kind == "domain" else _label(grant.target)
            path = (
                grant.kind + "s",
                Ref(grant.kind, grant.target),
                "users",
                Ref("user", key),
                "roles",
                Ref("role", grant.role),
            )
            report = f"{grant.role} on {grant.kind} {target}"
            todo.add("grants", _label(key), report, Action("PUT", path))

    for service in desired.services:
        _diff_service(todo, service, current)

    todo.actions.sort(key=lambda action: action.last)
    return todo


def _diff_user(todo, key, user, current, ids):
    label = _label(key)
    wanted = dict(user.fields)
    if user.project:
        wanted["default_project_id"] = Ref("project", user.project)
    existing = current.users.get(key)
    if existing is None:
        body = {"name": key[1], "domain_id": Ref("domain", key[0]), **wanted}
        if user.password:
            body["password"] = user.password
        todo.create("users", label, "user", body, Ref("user", key))
        return
    if user.project:
        wanted["default_project_id"] = ids.get(("project", user.project), wanted["default_project_id"])
    updates, report = _field_updates(existing, wanted)
    if "default_project_id" in report:
        # Report the default project by name, not by id.
        old = report.pop("default_project_id")["old"]
        names = {p["id"]: _label(k) for k, p in current.projects.items()}
        report["project"] = {"old": names.get(old, old), "new": _label(user.project)}
    re_enabled = not existing.get("enabled", True) and updates.get("enabled") is True
    if user.password and (re_enabled or current.password_ok.get(key) is False):
        updates["password"] = user.password
        report["password"] = "updated"
    if updates:
        last = "password" in updates and existing["id"] == current.self_user_id
        todo.update("users", label, "user", existing["id"], updates, report, last=last)


def _diff_service(todo, service, current):
    existing = current.find_service(service.name, service.fields["type"])
    if existing is None:
        body = {"name": service.name, **service.fields}
        todo.create("services", service.name, "service", body, Ref("service", service.name))
    else:
        updates, report = _field_updates(existing, service.fields)
        if updates:
            todo.update("services", service.name, "service", existing["id"], updates, report)
    for interface, url in service.endpoints.items():
        label = f"{service.name}/{interface}/{service.region}"
        endpoint = None
        if existing is not None:
            endpoint = current.endpoints.get((existing["id"], interface, service.region))
        if endpoint is None:
            body = {
                "service_id": existing["id"] if existing else Ref("service", service.name),
                "interface": interface,
                "region_id": service.region,
                "url": url,
            }
            todo.create("endpoints", label, "endpoint", body)
        elif endpoint["url"] != url:
            report = {"url": {"old": endpoint["url"], "new": url}}
            todo.update("endpoints", label, "endpoint", endpoint["id"], {"url": url}, report)
