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

__virtualname__ = "keystone_init"


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
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    test = bool(__opts__.get("test"))
    auth = salt.utils.args.clean_kwargs(**kwargs)
    try:
        changes = __salt__["keystone_init.apply"](config, test=test, **auth)
    except CommandExecutionError as exc:
        ret["result"] = False
        ret["comment"] = str(exc)
        return ret
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
