"""
The OpenStack HTTP client shared by this extension's modules
(``keystone_init``, ``openstack_cloud``): the authentication settings, one
authenticated ``requests`` session per run, the service catalog, and typed
errors that carry the HTTP status and a readable message.

This is not a Salt loader module: the modules import it directly, which
works both ways the extension is installed (see the README's "Shared
code"):

* synced from the master's file roots (``saltutil.sync_all``), it lands in
  the minion's ``extmods/utils``, which Salt's loader puts on ``sys.path``
  while it loads an execution or state module (``extra_module_dirs``, Salt
  3001 and later), so ``import saltext_openstack_api`` finds it;
* pip-installed, it is ``saltext_openstack._utils.saltext_openstack_api``
  (Salt's utils loader does not read extensions' entry points, so the
  package import is the only way there).

.. code-block:: python

    try:
        import saltext_openstack_api as api
        import saltext_openstack_schema as schema
    except ImportError:
        from saltext_openstack._utils import saltext_openstack_api as api
        from saltext_openstack._utils import saltext_openstack_schema as schema

A module imports all of its files of ``_utils/`` in ONE such try/except,
never one per file: after a partial sync (a file missing from
``extmods/utils``) the one ``except`` takes every file from the package,
where one try per file could mix a synced copy of one with the installed
copy of another, of another version
(tests/unit/test_utils_are_no_loader_modules.py checks it).

The name is long on purpose: a synced file is imported by its bare name,
and must not meet another module of that name on ``sys.path``.

No password or token is ever logged, put in an error message or returned.
"""
import logging

import requests
import requests.adapters
import salt.utils.args
import salt.utils.data
from salt.exceptions import CommandExecutionError

log = logging.getLogger(__name__)

DEFAULT_DOMAIN = "Default"

#: The authentication arguments every module of the extension accepts.
AUTH_ARGS = (
    "auth_url",
    "username",
    "password",
    "project_name",
    "user_domain_name",
    "project_domain_name",
    "user_domain_id",
    "project_domain_id",
    "region",
    "verify",
    "timeout",
)

#: Retries of one request, on a fresh connection, when it could not be sent
#: (refused, reset while connecting: a service restarting) or, for GET and
#: HEAD only, when the connection dropped or timed out before an answer.
#: A write whose connection dropped is not sent again, as it may have been
#: carried out (a second POST creates twice, a second DELETE answers 404, a
#: second add_router_interface 400): the callers plan again from what the
#: service then holds (keystone_init, openstack_cloud).  An HTTP status is
#: an answer and is never retried.
RETRIES = 3
#: Seconds between those retries grow as 0, 2x, 4x this factor.
RETRY_BACKOFF = 0.5


def retrying_adapter():
    """A ``requests`` transport adapter with the :data:`RETRIES` policy."""
    policy = requests.adapters.Retry(
        total=RETRIES,
        connect=RETRIES,
        read=RETRIES,
        status=0,
        redirect=0,
        other=0,
        backoff_factor=RETRY_BACKOFF,
        allowed_methods=frozenset({"GET", "HEAD"}),
        raise_on_status=False,
        raise_on_redirect=False,
    )
    return requests.adapters.HTTPAdapter(max_retries=policy)


def http_session(verify, agent):
    """
    A ``requests`` session with the extension's headers and retry policy
    (:func:`retrying_adapter`) for ``http://`` and ``https://`` URLs.
    """
    http = requests.Session()
    http.verify = verify
    http.headers.update({"Accept": "application/json", "User-Agent": f"salt-{agent}"})
    for scheme in ("http://", "https://"):
        http.mount(scheme, retrying_adapter())
    return http


def __virtual__():
    # Salt's utils loader also finds this file in extmods/utils: it is
    # imported by the modules, not used through __utils__.
    return (False, "saltext_openstack_api is imported by the extension's modules directly")


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


class OpenStackUnreachable(CommandExecutionError):
    """A service did not answer at all (refused, timed out, DNS...)."""

    # Not there yet, for a dry run's states that come before the service's
    # own: what saltext_openstack_schema.is_not_ready reads (as on its
    # NotReadyError).
    not_ready = True


class OpenStackError(CommandExecutionError):
    """An error answer of an OpenStack API; ``status`` is its HTTP status."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


class LoginRefused(OpenStackError):
    """Keystone refused the login itself (HTTP 401): a password not set
    yet (bootstrap, in a dry run of a new cloud, only "would" set it) or
    a wrong one."""

    # A dry run's states after the bootstrap: not there yet, as above.
    not_ready = True


class NotInCatalog(CommandExecutionError):
    """The service catalog has no endpoint of the wanted type."""


def api_error(service, action, response):
    """
    An :class:`OpenStackError` with the service's own message and the HTTP
    status, whatever the service's error body looks like: Keystone's
    ``{"error": {"message", "code", "title"}}``, Neutron's
    ``{"NeutronError": {"type", "message", "detail"}}``, Nova's
    ``{"badRequest": {"message", "code"}}`` (one key named after the
    error), else the start of the text.
    """
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    message = None
    if isinstance(body, dict) and len(body) == 1:
        (kind, error), = body.items()
        if isinstance(error, dict) and error.get("message"):
            message = str(error["message"]).strip()
            if kind == "error" and error.get("title"):  # Keystone
                message += f" (HTTP {error.get('code', status)} {error['title']})"
            elif kind == "NeutronError" and error.get("type"):
                message = f"{error['type']}: {message} (HTTP {status})"
            else:
                message += f" (HTTP {status})"
    if message is None:
        text = (response.text or "").strip()[:200] or response.reason
        message = f"{text} (HTTP {status})"
    return OpenStackError(f"{service}: {action} failed: {message}", status)


# --------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------


def lookup(key, *sources):
    """A ``a:b`` key from the first of ``sources`` (dicts) that holds it."""
    for source in sources:
        value = salt.utils.data.traverse_dict_and_list(source or {}, key, None, delimiter=":")
        if value is not None:
            return value
    return None


def auth_settings(kwargs, key, sources, allowed=AUTH_ARGS):
    """
    The authentication settings: the keyword arguments given (Salt's own
    ``__pub_*`` ones dropped), each missing one from the dict at ``key`` in
    the first of ``sources`` (the minion configuration, then pillar) that
    has it. Unknown arguments are refused.
    """
    kwargs = salt.utils.args.clean_kwargs(**kwargs)
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise CommandExecutionError(
            "Unknown argument(s) {}; the authentication arguments are: {}".format(
                ", ".join(unknown), ", ".join(allowed)
            )
        )
    base = lookup(key, *sources) or {}
    if not isinstance(base, dict):
        raise CommandExecutionError(f"{key} must be a dict")
    return merge_auth(base, kwargs, key, allowed)


def merge_auth(base, overrides, key, allowed=AUTH_ARGS):
    """Per key: ``overrides`` when given (not None), else ``base``, else a default."""
    auth = {"username": "admin", "project_name": "admin"}
    for source in (base, overrides):
        auth.update({k: v for k, v in source.items() if k in allowed and v is not None})
    for required in ("auth_url", "password"):
        if not auth.get(required):
            raise CommandExecutionError(
                f"No Keystone {required}: pass {required}=... or set it in {key}"
            )
    return auth


def identity_url(auth_url):
    """The v3 root from an auth URL with or without its ``/v3`` suffix."""
    url = str(auth_url).rstrip("/")
    if url.endswith("/v2.0"):
        raise CommandExecutionError(f"{auth_url} is a v2.0 endpoint; the Identity v3 API is needed")
    if not url.endswith("/v3"):
        url += "/v3"
    return url


def _domain_spec(auth, who):
    if auth.get(f"{who}_domain_id"):
        return {"id": auth[f"{who}_domain_id"]}
    return {"name": auth.get(f"{who}_domain_name") or DEFAULT_DOMAIN}


def password_auth_body(auth):
    """The token request of ``auth``'s user, scoped to its project."""
    user = {"name": auth["username"], "password": auth["password"]}
    user["domain"] = _domain_spec(auth, "user")
    project = {"name": auth["project_name"], "domain": _domain_spec(auth, "project")}
    return {
        "auth": {
            "identity": {"methods": ["password"], "password": {"user": user}},
            "scope": {"project": project},
        }
    }


# --------------------------------------------------------------------------
# The session
# --------------------------------------------------------------------------


class Session:
    """
    One ``requests`` session holding one token (a password login scoped to
    the project of ``auth``), used for every service of the catalog.

    ``agent`` names the caller in the User-Agent header and the debug log;
    ``catalog``: ask Keystone for the service catalog with the token (the
    other services' endpoints), or not (Keystone alone).
    """

    def __init__(self, auth, agent="saltext-openstack", catalog=True):
        self.agent = agent
        self.url = identity_url(auth["auth_url"])
        self.timeout = float(auth.get("timeout", 30))
        self.region = auth.get("region")
        self.http = http_session(auth.get("verify", True), agent)
        path = "/auth/tokens" if catalog else "/auth/tokens?nocatalog"
        try:
            response = self.send(
                "POST", self.url + path, password_auth_body(auth), "Keystone",
                f"authentication as {auth['username']}",
            )  # fmt: skip
        except OpenStackError as exc:
            if exc.status != 401:
                raise
            raise LoginRefused(str(exc), status=401) from None
        token = response.json()["token"]
        self.http.headers["X-Auth-Token"] = response.headers["X-Subject-Token"]
        self.user_id = token["user"]["id"]
        self.project_id = (token.get("project") or {}).get("id")
        self.catalog = token.get("catalog") or []

    def send(self, method, url, body, service, action, params=None, headers=None, http=None,
             data=None):  # fmt: skip
        """
        One HTTP request; raises :class:`OpenStackUnreachable` when nothing
        answers and :class:`OpenStackError` on an HTTP error. Logged: the
        method, the URL (ids only) and the status; never a body (passwords)
        nor a header (tokens). ``body`` is sent as JSON; ``data`` (instead)
        as it is: bytes, or a file-like object streamed by ``read()``.
        """
        try:
            response = (http or self.http).request(
                method, url, json=body, data=data, params=params, headers=headers,
                timeout=self.timeout,
            )  # fmt: skip
        except requests.RequestException as exc:
            raise OpenStackUnreachable(
                f"{service}: cannot reach {_root(url)} ({type(exc).__name__}: {exc})"
            ) from None
        log.debug(
            "%s: %s %s -> HTTP %s in %.3fs",
            self.agent, method, url, response.status_code, response.elapsed.total_seconds(),
        )  # fmt: skip
        if response.status_code >= 400:
            raise api_error(service, action, response)
        return response

    def endpoint(self, service_type, interface="public"):
        """
        The URL of the catalog's ``service_type`` endpoint on ``interface``
        (in the session's region when ``auth`` named one).
        """
        for service in self.catalog:
            if service.get("type") != service_type:
                continue
            for endpoint in service.get("endpoints", []):
                region = endpoint.get("region_id") or endpoint.get("region")
                if endpoint.get("interface") != interface:
                    continue
                if self.region and region != self.region:
                    continue
                return endpoint["url"].rstrip("/")
        where = f" in region {self.region}" if self.region else ""
        raise NotInCatalog(
            f"The service catalog has no {interface} endpoint of type {service_type}{where}"
        )

    def service(self, service_type, name, interface="public", headers=None):
        """A :class:`Service` bound to the catalog's endpoint of that type."""
        return Service(self, name, self.endpoint(service_type, interface), headers)

    def identity(self):
        """The Identity API of the session (the ``auth_url``, not the catalog)."""
        return Service(self, "Keystone", self.url)


class Service:
    """One API of the catalog: its name for messages, its URL, its headers."""

    def __init__(self, session, name, url, headers=None):
        self.session = session
        self.name = name
        self.url = url.rstrip("/")
        self.headers = headers or {}

    def request(self, method, path, body=None, params=None, headers=None, data=None):
        """
        Send one call and return its decoded JSON body (``{}`` if none).
        ``headers`` are added to the service's; ``data``: see
        :meth:`Session.send`.
        """
        response = self.session.send(
            method, self.url + path, body, self.name, f"{method} {path}",
            params=params, headers={**self.headers, **(headers or {})}, data=data,
        )  # fmt: skip
        return response.json() if response.content else {}

    def list(self, path, key, params=None):
        """
        Every object of a collection: the ``key`` list of the answer, and of
        the pages its ``<key>_links`` ``next`` links point to (Nova pages at
        its ``[api] max_limit``; Neutron and Keystone answer in one page
        when no ``limit`` is asked).
        """
        data = self.request("GET", path, params=params)
        items = list(data.get(key, []))
        seen = set()
        while True:
            links = {link.get("rel"): link.get("href") for link in data.get(f"{key}_links", [])}
            following = links.get("next")
            if not following or following in seen:
                return items
            seen.add(following)
            response = self.session.send(
                "GET", following, None, self.name, f"GET {path} (next page)", headers=self.headers
            )
            data = response.json()
            items.extend(data.get(key, []))


def _root(url):
    """``scheme://host:port`` and the path up to a version (no query)."""
    return url.split("?", 1)[0]


# --------------------------------------------------------------------------
# Keystone, as keystone_init uses it
# --------------------------------------------------------------------------


class KeystoneClient(Session):
    """
    The admin session of ``keystone_init``: no catalog, paths relative to
    the identity root, complete lists only, password checks.
    """

    def __init__(self, auth, agent="keystone_init"):
        super().__init__(auth, agent=agent, catalog=False)

    def request(self, method, path, body=None):
        """Send one Keystone call and return its decoded JSON body (``{}`` if none)."""
        response = self.send(method, self.url + path, body, "Keystone", f"{method} {path}")
        return response.json() if response.content else {}

    def list(self, collection):
        """Every object of a collection, in one call."""
        data = self.request("GET", f"/{collection}")
        if data.get("truncated"):
            raise CommandExecutionError(
                f"Keystone truncated the list of {collection} (list_limit is set): "
                f"{self.agent} needs complete lists"
            )
        return data[collection]

    def password_valid(self, user_id, password):
        """Whether ``password`` authenticates user ``user_id`` (401 means no)."""
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {"user": {"id": user_id, "password": password}},
                },
                "scope": "unscoped",
            }
        }
        # A session of its own: no admin token on a login, and thread safety.
        with http_session(self.http.verify, self.agent) as http:
            try:
                action = f"password check of user {user_id}"
                self.send("POST", self.url + "/auth/tokens?nocatalog", body, "Keystone", action,
                          http=http)  # fmt: skip
            except OpenStackError as exc:
                if exc.status == 401:
                    return False
                raise
        return True
