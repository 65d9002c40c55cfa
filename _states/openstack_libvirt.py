"""
A libvirt secret holding a value QEMU needs, idempotently, the value never
on a command line: the cephx key QEMU attaches Ceph RBD volumes with
(ceph.libvirt).

.. code-block:: yaml

    ceph-libvirt-secret:
      openstack_libvirt.secret_present:
        - name: a5f237b0-bbf4-5bac-9040-ea6db55c0513
        - usage: client.cinder secret
        - value: AQDJQ2yZK53MHhAA6Z+gxABOLED1xlX6h9XE4g==

The secret is defined persistent and not private (``ephemeral='no'
private='no'``: root can read it back with ``virsh secret-get-value``,
which is how a re-run finds it unchanged), with a ``ceph`` usage of the
given name (what nova's libvirt driver and the Ceph documentation use).
The definition goes through ``virsh secret-define --file`` (an XML file
holding the UUID and the usage only); the value through ``virsh
secret-set-value --file`` (libvirt 8 and later) from a file that
:func:`tempfile.mkstemp` creates 0600 for root and that is removed
whatever happens.  virsh's output is never logged (``output_loglevel:
quiet``), and no change, comment or error quotes the value.

No functional test: that needs a running libvirtd, which this project's
test host does not run; tests/unit/test_openstack_libvirt_state.py tests
the logic against an in-memory virsh, and the test cluster's computes run
it for real.
"""
import os
import tempfile
import xml.etree.ElementTree as ET

import salt.utils.path

# The state return every state module of the extension starts from
# (_utils/, imported as the other state modules do).
try:
    import saltext_openstack_state as state_utils
except ImportError:
    from saltext_openstack._utils import saltext_openstack_state as state_utils

__virtualname__ = "openstack_libvirt"


def __virtual__():
    return __virtualname__


def _virsh(*args, check=True):
    """Run virsh (no shell, its output never logged).  ``check``: raise with
    virsh's error message when it fails and return its output; without it,
    return ``cmd.run_all``'s result (``retcode``, ``stdout``, ``stderr``)
    for the caller to read."""
    ret = __salt__["cmd.run_all"](  # pylint: disable=undefined-variable
        ["virsh", *args], python_shell=False, ignore_retcode=True, output_loglevel="quiet")
    if not check:
        return ret
    if ret["retcode"] != 0:
        raise RuntimeError("virsh {} failed: {}".format(
            args[0], (ret.get("stderr") or ret.get("stdout") or "").strip()))
    return ret["stdout"]


def _secret_xml(uuid, usage, usage_type="ceph"):
    """The secret's definition: its UUID and usage, nothing secret."""
    secret = ET.Element("secret", ephemeral="no", private="no")
    ET.SubElement(secret, "uuid").text = uuid
    node = ET.SubElement(secret, "usage", type=usage_type)
    ET.SubElement(node, "name").text = usage
    return ET.tostring(secret, encoding="unicode")


def _same_definition(current, uuid, usage, usage_type="ceph"):
    """Whether ``current`` (``virsh secret-dumpxml``) is the definition
    :func:`_secret_xml` makes: same UUID, usage, persistent and not private."""
    try:
        secret = ET.fromstring(current)
    except ET.ParseError:
        return False
    return (secret.get("ephemeral") == "no" and secret.get("private") == "no"
            and (secret.findtext("uuid") or "").strip().lower() == uuid.lower()
            and _same_usage(current, usage, usage_type))


def _defined(uuid):
    """The secret's XML, or None when libvirt has no secret of that UUID."""
    ret = _virsh("secret-dumpxml", uuid, check=False)
    return ret["stdout"] if ret["retcode"] == 0 else None


def _same_usage(current, usage, usage_type):
    """Whether the secret XML ``current`` has the usage ``usage_type``/``usage``."""
    try:
        node = ET.fromstring(current).find("usage")
    except ET.ParseError:
        return False
    return (node is not None and node.get("type") == usage_type
            and (node.findtext("name") or "").strip() == usage)


def _holds(uuid, value):
    """Whether the defined, not private secret ``uuid`` holds ``value``: a
    secret defined without a value yet (a run stopped between define and
    set, or one defined by hand) makes secret-get-value fail, which means
    not held."""
    ret = _virsh("secret-get-value", uuid, check=False)
    return ret["retcode"] == 0 and ret["stdout"].strip() == value


def _usage_holders(uuid, usage, usage_type):
    """The UUIDs of the other secrets with this usage: libvirt allows one
    secret per usage, so a secret moved to a new UUID (a new fsid, a
    libvirt_secret_uuid set in pillar) replaces them."""
    holders = []
    for line in _virsh("secret-list").splitlines():
        words = line.split()
        if not words or words[0].lower() == uuid.lower() or len(words[0]) != 36 \
                or words[0].count("-") != 4:
            continue  # the header, the ruler, this secret
        current = _defined(words[0])
        if current is not None and _same_usage(current, usage, usage_type):
            holders.append(words[0])
    return holders


def _with_file(contents, run):
    """Call ``run(path)`` with ``contents`` in a new 0600 file, removed after."""
    handle, path = tempfile.mkstemp(prefix="salt-libvirt-secret-")
    try:
        os.fchmod(handle, 0o600)
        os.write(handle, contents.encode())
        os.close(handle)
        handle = None
        return run(path)
    finally:
        if handle is not None:
            os.close(handle)
        os.unlink(path)


def secret_present(name, usage, value, usage_type="ceph"):
    """
    Make libvirt hold the secret ``name`` (its UUID) with ``usage`` and the
    base64 ``value`` (a cephx key as ``ceph auth get-key`` prints it).

    name
        the secret's UUID (nova's ``[libvirt] rbd_secret_uuid``)
    usage
        the usage name, e.g. ``client.cinder secret``
    value
        the secret, base64 (never shown)
    usage_type
        the usage type: ``ceph``
    """
    ret = state_utils.ret(name)
    if not isinstance(value, str) or not value.strip():
        ret.update(result=False, comment="No value given for libvirt secret {}".format(name))
        return ret
    value = value.strip()
    test = __opts__.get("test")  # pylint: disable=undefined-variable
    if not salt.utils.path.which("virsh"):
        if test:
            ret.update(result=None, comment="Would define libvirt secret {} and set its value "
                                            "once libvirt is installed (no virsh yet)".format(name))
            ret["changes"] = {"definition": "defined", "value": "set (not shown)"}
        else:
            ret.update(result=False, comment="Cannot define libvirt secret {}: virsh is not "
                                             "installed".format(name))
        return ret
    try:
        current = _defined(name)
        defined = current is not None and _same_definition(current, name, usage, usage_type)
        held = defined and _holds(name, value)
        others = [] if defined else _usage_holders(name, usage, usage_type)
        changes = {}
        if others:
            changes["replaced"] = ", ".join(others)
        if not defined:
            changes["definition"] = "defined" if current is None else "redefined"
        if not held:
            changes["value"] = "set (not shown)"
        if not changes:
            ret["comment"] = "libvirt secret {} is defined and holds its value".format(name)
            return ret
        if test:
            ret.update(result=None, changes=changes,
                       comment="libvirt secret {} would be {}".format(
                           name, " and ".join("{} {}".format(key, how.split(" ")[0])
                                             for key, how in sorted(changes.items())
                                             if key != "replaced")
                           + ("; it replaces {}, which has its usage".format(changes["replaced"])
                              if others else "")))
            return ret
        # libvirt holds one secret per usage: the old UUID's goes first.
        for other in others:
            _virsh("secret-undefine", other)
        if not defined:
            if current is not None:
                # libvirt refuses to change a defined secret's private flag
                # or usage in place: undefine it first.
                _virsh("secret-undefine", name)
            _with_file(_secret_xml(name, usage, usage_type),
                       lambda path: _virsh("secret-define", "--file", path))
        _with_file(value, lambda path: _virsh("secret-set-value", name, "--file", path))
    except RuntimeError as exc:
        ret.update(result=False, comment="libvirt secret {}: {}".format(name, exc))
        return ret
    ret.update(changes=changes, comment="libvirt secret {} is defined and holds its value"
               .format(name))
    return ret
