"""
Keep Keystone's identity objects (regions, domains, projects, roles, users
and their grants, services, endpoints) as a configuration dict declares
them. The work is done by the ``keystone_init`` execution module, whose
documentation describes the configuration and the authentication
settings.

.. code-block:: yaml

    keystone identity:
      keystone_init.present:
        - config: keystone_init:config     # a pillar key, or the dict itself
        - auth_url: http://controller:5000/v3   # else from keystone_init:auth

Passing the pillar key rather than the rendered dict keeps the passwords
out of the rendered SLS. The state's changes and comment never hold a
password or a token, in test mode either.
"""

import salt.utils.args
from salt.exceptions import CommandExecutionError

# keystone_init's "not ready yet" (saltext_openstack_schema.is_not_ready):
# Keystone does not answer yet, or the admin's password does not log in yet
# (keystone-manage bootstrap would set it); and a state's first return and
# its end on an error, shared by the extension's states (_utils/).
try:
    import saltext_openstack_schema as schema
    import saltext_openstack_state as state_utils
except ImportError:
    from saltext_openstack._utils import saltext_openstack_schema as schema
    from saltext_openstack._utils import saltext_openstack_state as state_utils

__virtualname__ = "keystone_init"


# How long bootstrapped() waits for a Keystone that does not answer yet (a
# service that was just (re)started).
REACH_TIMEOUT = 60


def __virtual__():
    if "keystone_init.apply" in __salt__:
        return __virtualname__
    return (False, "the keystone_init execution module is not available")


def _summary(changes):
    """``users: 1 created, 2 updated; grants: 3 added`` -- names and counts only."""
    parts = []
    for section, entries in changes.items():
        if section == "grants":
            count = sum(len(grants) for grants in entries.values())
            parts.append(f"grants: {count} added")
            continue
        created = sorted(name for name, change in entries.items() if change == "created")
        updated = sorted(name for name, change in entries.items() if change != "created")
        counts = []
        if created:
            counts.append("{} created ({})".format(len(created), ", ".join(created)))
        if updated:
            counts.append("{} updated ({})".format(len(updated), ", ".join(updated)))
        parts.append(f"{section}: " + ", ".join(counts))
    return "; ".join(parts)


def present(name, config=None, **kwargs):
    """
    Make sure Keystone holds the identity objects of ``config``: create what
    is missing, update what differs (descriptions, endpoint URLs, enabled
    flags, e-mails, default projects, and passwords, checked by logging in
    as each user), delete nothing.

    name
        A label for the state.

    config
        The configuration dict, or the pillar (or minion configuration) key
        that holds it. Default: ``keystone_init:config``.

    kwargs
        The admin credentials: ``auth_url``, ``username``, ``password``,
        ``project_name``, ``user_domain_name``, ``project_domain_name``,
        ``region``, ``verify``, ``timeout``. Each one not given comes from
        ``keystone_init:auth`` in the minion configuration or pillar.

    .. code-block:: yaml

        keystone identity:
          keystone_init.present:
            - config: keystone_init:config
    """
    ret = state_utils.ret(name)
    test = bool(__opts__.get("test"))
    auth = salt.utils.args.clean_kwargs(**kwargs)
    try:
        changes = __salt__["keystone_init.apply"](config, test=test, **auth)
    except CommandExecutionError as exc:
        if test and schema.is_not_ready(exc):
            # A dry run of a fresh deployment: Keystone is only "to be
            # installed" or the admin "to be bootstrapped" by earlier states.
            ret["result"] = None
            ret["comment"] = (
                "Would create or check the Keystone identity objects once the "
                "admin logs in ({})".format(exc)
            )
            return ret
        return state_utils.failed(ret, exc)
    if not changes:
        ret["comment"] = "Keystone identity objects are already as configured"
        return ret
    ret["changes"] = changes
    if test:
        ret["result"] = None
        ret["comment"] = "Would change Keystone: " + _summary(changes)
    else:
        ret["comment"] = "Changed Keystone: " + _summary(changes)
    return ret


def bootstrapped(
    name,
    password,
    auth_url,
    project_name="admin",
    role_name="admin",
    region=None,
    public_url=None,
    internal_url=None,
    admin_url=None,
    config_file=None,
    runas=None,
    wait=REACH_TIMEOUT,
):
    """
    Make sure the admin user ``name`` logs in to Keystone with ``password``,
    scoped to ``project_name``; when it does not (a new Keystone, or the
    password was changed in pillar), run ``keystone-manage bootstrap``,
    which creates the admin project, user and role, the identity service
    and its endpoints when URLs are given, and resets the admin password.
    The password reaches ``keystone-manage`` through its environment, and
    appears in no return, comment or log.

    name
        The admin user name.

    password
        Its password (from pillar).

    auth_url
        Keystone's identity endpoint, used to check the password.

    region, public_url, internal_url, admin_url
        The identity endpoints ``keystone-manage bootstrap`` creates.

    config_file
        Keystone's configuration file for ``keystone-manage``.

    runas
        The user running ``keystone-manage`` (the ``keystone`` user).

    wait
        Seconds to wait for a Keystone that does not answer yet (it was
        just started), default 60. In test mode there is no wait: an
        unreachable Keystone (not installed yet) means "would bootstrap".

    .. code-block:: yaml

        keystone-bootstrap:
          keystone_init.bootstrapped:
            - name: admin
            - password: {{ pillar['openstack']['passwords']['admin'] | json }}
            - auth_url: http://controller:5000/v3
            - region: RegionOne
            - public_url: http://controller:5000/v3
            - runas: keystone
    """
    ret = state_utils.ret(name)
    test = bool(__opts__.get("test"))
    if not password:
        ret["result"] = False
        ret["comment"] = "No password given for the Keystone admin user " + name
        return ret
    auth = {"password": password, "auth_url": auth_url, "username": name,
            "project_name": project_name}

    def check(seconds):
        return __salt__["keystone_init.authenticates"](wait=seconds, **auth)

    try:
        ok = check(0 if test else wait)
        reason = "the password of {} does not log in to {}".format(name, auth_url)
    except CommandExecutionError as exc:
        if not test:
            ret["result"] = False
            ret["comment"] = "Cannot check the Keystone admin password: {}".format(exc)
            return ret
        ok = False
        reason = "Keystone does not answer yet ({})".format(exc)
    if ok:
        ret["comment"] = "{} logs in to {} with the configured password".format(name, auth_url)
        return ret
    changes = {"bootstrap": {"user": name, "project": project_name, "role": role_name}}
    if region:
        changes["bootstrap"]["region"] = region
    if test:
        ret["result"] = None
        ret["changes"] = changes
        ret["comment"] = "Would run keystone-manage bootstrap: " + reason
        return ret
    try:
        __salt__["keystone_init.bootstrap"](
            password=password,
            username=name,
            project_name=project_name,
            role_name=role_name,
            region=region,
            public_url=public_url,
            internal_url=internal_url,
            admin_url=admin_url,
            config_file=config_file,
            runas=runas,
        )
        ok = check(wait)
    except CommandExecutionError as exc:
        return state_utils.failed(ret, exc)
    if not ok:
        ret["result"] = False
        ret["comment"] = (
            "keystone-manage bootstrap ran, but the password of {} still does not log in "
            "to {}: does Keystone serve the database of {}?".format(
                name, auth_url, config_file or "its default configuration"
            )
        )
        return ret
    ret["changes"] = changes
    ret["comment"] = "Ran keystone-manage bootstrap: " + reason
    return ret
