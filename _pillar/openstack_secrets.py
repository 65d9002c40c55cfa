"""
Give each minion only the secrets its roles use.

The example pillar (``pillar/openstack.sls``) holds every password of the
cloud under ``openstack:passwords``, and the pillar top gives it to every
minion.  This ext_pillar runs on the master after the pillar files, on the
pillar compiled for one minion, and keeps in ``openstack:passwords`` only
the secrets the roles of that minion (``openstack:hosts:<minion id>:roles``;
the master authenticates the id) use: the per-role allow-list is
``ROLE_SECRETS`` in ``_utils/saltext_openstack_model.py``.  A minion that is not
in the host map gets no secret.  The master's own pillar, which the
orchestration renders with, keeps them all.

Master configuration (``/etc/salt/master.d/openstack.conf``)::

    ext_pillar:
      - openstack_secrets: {}

and ``salt-run saltutil.sync_all`` (or the project pip-installed on the
master).  The pillar top files refuse to give out the ``openstack`` pillar
while this filter is not in place (``openstack_pillar.secrets_filter_ready``).

Salt merges what an ext_pillar returns into the pillar and cannot remove a
key that way: this one replaces ``openstack`` in the pillar it is given (the
compiled pillar, which Salt keeps and sends).
The integration tests check the result on the pinned Salt
(``tests/integration/test_secrets.py``).  If the allow-list cannot be
applied (``openstack_pillar`` not loaded on the master), every secret is
withheld and the error reaches the minion as a pillar error.

The master's own pillar is the one compiled under the master's id
(``<host>_master`` unless ``id`` is set in the master's configuration).  A
minion could be given that id too, and Salt would compile its pillar under
it: so while a minion key is accepted under the master's id
(``<pki_dir>/minions/<id>``), the filter withholds every secret under that
id, from that minion and from the orchestration alike, and says which key
to delete.

What a minion sends along with its pillar request (``pillar=`` on the
command line, merged in before the ext_pillars run) never decides what it
receives: the roles, the names and the secrets are read from the pillar
files, rendered again for that minion without it, so they must come from
the pillar files, not another ext_pillar.

The operator's certificates for public endpoints (``openstack:tls:public:
<host>``: ``cert``, ``key``, ``ca``) are shared, but each private key
goes to its own host only, and only to a controller or a gateway: every
other host's ``tls:public`` entries come without ``key``.  ``tls`` too is
taken from the pillar files alone.

It also hands each host of the host map its own TLS key and certificate
from the master's CA (``_modules/openstack_tls.py``), as the pillar key
``openstack_tls`` (``cert``, ``key``, ``ca_cert``), which it returns to be
merged: the names and addresses the certificate carries come from the
validated model (``openstack_pillar.tls_request``).  The master's own
pillar gets the CA's certificate only, and its own pair when its id is a
host of the host map (a masterless minion, which keeps the CA itself); a
minion outside the host map, or whose pillar does not validate, none.
"""
import logging
import os

import salt.pillar

log = logging.getLogger(__name__)

__virtualname__ = "openstack_secrets"

#: The keys of ``openstack`` that hold secrets, withheld until narrowed
#: (``openstack_pillar.narrow_secrets``): the passwords, and ``tls``, whose
#: ``public:<host>:key`` are the operator's private keys.
WITHHELD = ("passwords", "tls")


def __virtual__():
    return __virtualname__


def ext_pillar(minion_id, pillar, *args, **kwargs):  # pylint: disable=unused-argument
    """
    Narrow ``openstack:passwords`` of ``pillar`` (the pillar compiled for
    ``minion_id``) to what the minion's roles use; the master's own pillar
    (``minion_id`` is the master's id: the orchestration) keeps everything.
    """
    data = pillar.get("openstack")
    if not isinstance(data, dict) or "passwords" not in data:
        return {}
    # Withhold everything first: whatever fails below, no secret goes out
    # (the passwords; tls, which holds the operator's private keys).
    withheld = {key: value for key, value in data.items() if key not in WITHHELD}
    if minion_id == __opts__["id"]:  # pylint: disable=undefined-variable
        impostor = _accepted_key(minion_id)
        if impostor is None:
            # A masterless minion (salt-call --local) is a host of the map
            # and keeps the CA itself: its own certificate too.
            own = _certificate(data, minion_id).get("openstack_tls") or {}
            return {"openstack_tls": dict(own, ca_cert=__salt__[  # pylint: disable=undefined-variable
                "openstack_tls.ca_certificate"]())}
        pillar["openstack"] = withheld
        raise RuntimeError(
            f"openstack_secrets: a minion key is accepted under the master's own id "
            f"{minion_id!r} ({impostor}): every secret is withheld under that id, from that "
            f"minion and from the orchestration; delete the key (salt-key -d {minion_id}) "
            f"or give the master another id")
    pillar["openstack"] = withheld
    trusted = _from_pillar_files(minion_id)
    if trusted is None:
        raise RuntimeError(
            "openstack_secrets: openstack:passwords is not in what the pillar files render "
            "for this minion: the filter reads the host map and the secrets from the pillar "
            "files only (pillar_roots), never from another ext_pillar or from pillar data "
            "a minion sends (salt-call ... pillar=...); every secret is withheld")
    narrowed = __salt__["openstack_pillar.narrow_secrets"](  # pylint: disable=undefined-variable
        trusted, minion_id)
    pillar["openstack"] = dict(withheld, passwords=narrowed.get("passwords") or {})
    if "tls" in narrowed:
        pillar["openstack"]["tls"] = narrowed["tls"]
    log.debug("openstack_secrets: %s gets %s", minion_id, sorted(pillar["openstack"]["passwords"]))
    return _certificate(trusted, minion_id)


def _from_pillar_files(minion_id):
    """
    The ``openstack`` pillar as the pillar files alone render it for
    ``minion_id``, or None without passwords.

    The ``pillar`` an ext_pillar is handed already holds whatever pillar
    data the minion sent with its request (``salt-call state.apply
    pillar='{...}'``, merged in before the ext_pillars run): a minion could
    give itself the controller's role, or a gateway's dashboard names, that
    way.  So the pillar files are rendered again here, for the same minion
    and environment, without that data and without ext_pillars.
    """
    opts = __opts__  # pylint: disable=undefined-variable
    renderer = salt.pillar.Pillar(dict(opts), opts.get("grains") or {}, minion_id,
                                  opts.get("saltenv"), pillarenv=opts.get("pillarenv"))
    try:
        rendered = renderer.compile_pillar(ext=False)
    finally:
        renderer.destroy()
    data = rendered.get("openstack") if not rendered.get("_errors") else None
    if not isinstance(data, dict) or not isinstance(data.get("passwords"), dict):
        return None
    return data


def _certificate(data, minion_id):
    """``{"openstack_tls": {"cert", "key", "ca_cert"}}``: the minion's own
    certificate from the master's CA, for a host of the host map whose
    pillar validates; else nothing."""
    request = __salt__["openstack_pillar.tls_request"](  # pylint: disable=undefined-variable
        data, minion_id)
    if request is None:
        return {}
    return {"openstack_tls": __salt__["openstack_tls.issue"](  # pylint: disable=undefined-variable
        minion_id, request["names"], request["addresses"], request["days"])}


def _accepted_key(minion_id):
    """The path of the accepted minion key named ``minion_id`` on this
    master, or None (no such key; or not a master: no minions directory)."""
    pki_dir = __opts__.get("pki_dir")  # pylint: disable=undefined-variable
    if not pki_dir:
        return None
    path = os.path.join(pki_dir, "minions", minion_id)
    return path if os.path.lexists(path) else None
