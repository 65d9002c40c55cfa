"""
Manage options of OpenStack (oslo.config) INI files.

Thin states over the ``openstack_config`` execution module: all the options
of one state are applied with one read and at most one atomic write, nothing
is written in test mode or when nothing changes, and secret values are
masked in ``changes`` (see the execution module for the file format and
where new keys go).

.. code-block:: yaml

    /etc/nova/nova.conf:
      openstack_config.present:
        - user: root
        - group: nova
        - mode: "0640"
        - settings:
            DEFAULT:
              my_ip: 10.0.0.11
              transport_url: rabbit://openstack:{{ pillar['rabbit_pass'] }}@ctl:5672/
            database:
              connection: mysql+pymysql://nova:{{ pillar['nova_db_pass'] }}@ctl/nova
            filter_scheduler:
              enabled_filters: [ComputeFilter, ImagePropertiesFilter]

    /etc/keystone/keystone-uwsgi.ini:
      openstack_config.present:
        - oslo: False        # not read by oslo.config: no "$" escaping
        - settings:
            uwsgi:
              processes: 2

    remove-legacy-options:
      openstack_config.absent:
        - name: /etc/nova/nova.conf
        - settings:
            DEFAULT: [use_neutron, firewall_driver]

    # the sections of cinder backends no longer in enabled_backends
    cinder-stale-backends:
      openstack_config.sections_absent:
        - name: /etc/cinder/cinder.conf
        - having: volume_driver
        - keep: [lvm, ceph, backend_defaults]

``changes`` looks like ``{"options": {section: {option: {"old": ..., "new":
...}}}, "mode": {"old": "0644", "new": "0640"}, "file": "created"}``
(``sections_absent``: ``{"sections": {section: {"old": {option: value},
"new": None}}}``).
"""
import os
import re

from salt.exceptions import CommandExecutionError

# A state's first return and its end on an error, shared by the extension's
# states (_utils/, imported as saltext_openstack_schema is).
try:
    import saltext_openstack_state as state_utils
except ImportError:
    from saltext_openstack._utils import saltext_openstack_state as state_utils

__virtualname__ = "openstack_config"


def __virtual__():
    if "openstack_config.update" in __salt__:
        return __virtualname__
    return (False, "the openstack_config execution module of this project is not loaded")


# openstack_config.update's error for an owner that does not exist (yet).
_MISSING_OWNER = re.compile(r"(user|group) '[^']*' does not exist$")


def _count(settings):
    """Number of options named by ``{section: {key: value}}`` or ``{section: [key, ...]}``."""
    if not isinstance(settings, dict):
        return 0
    return sum(
        len(options) if isinstance(options, (dict, list, tuple)) else 1
        for options in settings.values()
        if options is not None
    )


def _changed_options(changes):
    return sum(len(options) for options in changes.get("options", {}).values())


def _plural(count):
    return f"{count} option" + ("" if count == 1 else "s")


def _describe(name, changes, total, action, test):
    """Build a comment such as ``3 options changed in /etc/nova/nova.conf``."""
    done, settled = action
    if not changes:
        return f"{_plural(total)} already {settled} in {name}"
    would = "would be " if test else ""
    parts = []
    if changes.get("file"):
        parts.append(f"file {would}created")
    count = _changed_options(changes)
    if count:
        parts.append(f"{_plural(count)} {would}{done}")
    attributes = [attribute for attribute in ("user", "group", "mode") if attribute in changes]
    if attributes:
        parts.append(f"{', '.join(attributes)} {would}changed")
    return f"{'; '.join(parts)} in {name}"


def _describe_sections(name, changes, having, keep, test):
    """Build a comment such as ``section [ceph] removed in /etc/cinder/cinder.conf``."""
    removed = list(changes.get("sections", {}))
    if not removed:
        other = " other" if keep else ""
        return f"no{other} section sets {having} in {name}"
    plural = "s" if len(removed) > 1 else ""
    would = "would be " if test else ""
    listed = ", ".join(f"[{section}]" for section in removed)
    return f"section{plural} {listed} {would}removed in {name}"


def _run(name, describe, function="openstack_config.update", **kwargs):
    """Run ``function`` on ``name``; ``describe(changes, test)`` makes the comment."""
    ret = state_utils.ret(name)
    if not os.path.isabs(name):
        ret.update(result=False, comment=f"{name} is not an absolute path")
        return ret
    test = bool(__opts__.get("test"))
    pending = None
    try:
        try:
            changes = __salt__[function](name, test=test, **kwargs)
        except CommandExecutionError as exc:
            # In test mode the service's user or group may not exist yet:
            # the package that creates it is only "to be installed".  Predict
            # the option changes and report the ownership as pending.
            if not (test and _MISSING_OWNER.match(str(exc))):
                raise
            pending = str(exc)
            changes = __salt__["openstack_config.update"](
                name, test=test, **dict(kwargs, user=None, group=None)
            )
            changes = dict(changes)
            for attribute in ("user", "group"):
                if kwargs.get(attribute) is not None:
                    changes[attribute] = {"new": kwargs[attribute]}
    except CommandExecutionError as exc:
        return state_utils.failed(ret, exc)
    ret["changes"] = changes
    ret["comment"] = describe(changes, test)
    if pending:
        ret["comment"] += f" ({pending} yet: its package is not installed)"
    if changes and test:
        ret["result"] = None
    return ret


def present(name, settings=None, user=None, group=None, mode=None, oslo=True):
    """
    Ensure options are set in an oslo.config INI file.

    name
        Absolute path of the file; created if missing.
    settings
        ``{section: {option: value}}``.  Values may be strings, numbers,
        booleans (written ``true``/``false``) or lists (a multi-valued option:
        the option is written once per item).  Every existing occurrence of
        an option is replaced.
    user, group, mode
        Owner, group and mode (e.g. ``"0640"``) of the file; applied to a new
        file, fixed (and reported) on an existing one.  By default an existing
        file keeps its own.
    oslo
        ``True`` (default) for a file oslo.config reads: every ``$`` of a
        value is escaped so that the service reads the value given.
        ``False`` for another INI file (MariaDB's option files, uwsgi's
        ``.ini``), where ``$`` means something else: values are written
        verbatim.
    """
    total = _count(settings)
    return _run(
        name,
        lambda changes, test: _describe(name, changes, total, ("changed", "set"), test),
        settings=settings or {},
        user=user,
        group=group,
        mode=mode,
        oslo=oslo,
    )


def absent(name, settings=None):
    """
    Ensure options are not set in an oslo.config INI file.

    name
        Absolute path of the file; a missing file has no options to remove.
    settings
        ``{section: [option, ...]}``: every occurrence of each option is
        removed; comments (such as commented-out defaults) are kept.
    """
    total = _count(settings)
    return _run(
        name,
        lambda changes, test: _describe(name, changes, total, ("removed", "absent"), test),
        remove=settings or {},
    )


def sections_absent(name, having, keep=None):
    """
    Ensure no section of an oslo.config INI file sets ``having``, except the
    sections named in ``keep``: removes whole the sections of items taken
    out of a list, such as cinder's backends.

    name
        Absolute path of the file; a missing file has no sections to remove.
    having
        The option that marks the sections of the list (cinder's backends:
        ``volume_driver``).  A section without it is never removed, nor is
        ``[DEFAULT]``.
    keep
        The sections still wanted (cinder's backends: the names in
        ``enabled_backends``), compared as oslo.config reads section names.

    ``changes`` is ``{"sections": {section: {"old": {option: value}, "new":
    None}}}``, secrets masked; the file is written once, atomically, keeping
    its owner, group and mode.

    .. code-block:: yaml

        cinder-stale-backends:
          openstack_config.sections_absent:
            - name: /etc/cinder/cinder.conf
            - having: volume_driver
            - keep: [lvm, ceph, backend_defaults]
    """
    return _run(
        name,
        lambda changes, test: _describe_sections(name, changes, having, keep, test),
        function="openstack_config.remove_sections",
        having=having,
        keep=keep,
    )
