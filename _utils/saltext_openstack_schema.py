"""
What the schema states of this extension share (``openstack_db.schema_synced``
for placement, cinder, keystone, glance and neutron, ``nova_manage.db_synced`` for
nova's databases) and the execution modules under them (``openstack_db``,
``nova_manage``): the typed "not ready yet" error, a database's revisions
as one string, and the one sequence that decides a schema state
(:func:`schema_verdict`).

Not a Salt loader module: the modules import it directly, synced
(``extmods/utils``, on ``sys.path`` while the loader loads a module) or
pip-installed (``saltext_openstack._utils``), as they import
``saltext_openstack_api`` (see the README's "Shared code"):

.. code-block:: python

    try:
        import saltext_openstack_schema as schema
    except ImportError:
        from saltext_openstack._utils import saltext_openstack_schema as schema

The execution module raising and the state catching may import it by
different names (synced, pip-installed), which makes two
:class:`NotReadyError` classes: states tell it by :func:`is_not_ready`.
"""
from salt.exceptions import CommandExecutionError, SaltInvocationError


def __virtual__():
    # Also found by Salt's utils loader in extmods/utils: not a __utils__ module.
    return (False, "saltext_openstack_schema is imported by the extension's modules directly")


class NotReadyError(CommandExecutionError):
    """
    What a check needs is not in place yet: the service's program is not
    installed, its config file is missing or has no database URL, its
    database server does not answer, its database or database user does not
    exist yet.  In a dry run of a new deployment the states that install,
    configure and create them come first in the same run and only say
    "would": the schema states then answer None, not False.  Raised where the
    condition is detected (the execution modules), never guessed from an
    error's text by a state.  States test :func:`is_not_ready`, not the
    class: the module and the state may import this file by two names
    (synced, pip-installed), which makes two classes.
    """

    not_ready = True


def is_not_ready(exc):
    """Whether ``exc`` is a :class:`NotReadyError`, by whichever name its
    module was imported."""
    return bool(getattr(exc, "not_ready", False))


def revisions(current):
    """A database's revisions (its ``alembic_version`` rows, or the code's
    heads) as one string (keystone has two, expand and contract); None for
    no schema yet (None, or no row)."""
    return " ".join(current) if current else None


def not_ready_reason(exc):
    """The last line of a :class:`NotReadyError`'s message: the reason."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else ""


def old_new(before, after):
    """``{"old", "new"}``: the database's revision(s) before and after."""
    return {"old": before["version"], "new": after["version"]}


def at_head(before):
    """The status a sync is predicted to reach: the database at the heads."""
    return {"version": before["head"]}


#: The comments :func:`schema_verdict` gives when the state does not say
#: otherwise.  Every comment is formatted with ``label`` (e.g. "placement
#: database"), ``name`` (the state's), ``head`` (the code's head(s)), ``version`` (the database's
#: revision(s) before), ``unknown`` (those the code does not ship), ``reached``
#: (what the database holds after the sync, as ``describe`` puts it),
#: ``reason`` (why it is not ready yet), ``error`` and the state's ``words``.
TEXTS = {
    "unknown": (
        "The {label} is at revision(s) {unknown}, which the installed {code} does not "
        "ship (its {heads}: {head}): not migrating; install the release that made them"
    ),
    "would": "The {label} would be migrated to revision {head}",
    "failed": "Failed to migrate the {label}: {error}",
}


def schema_verdict(name, label, status, sync, *, test, texts, words=None, changes=old_new,
                   predict=at_head, describe=None):  # fmt: skip
    """
    Decide a schema state and return it (``name``, ``result``, ``changes``,
    ``comment``):

    1. ``status()`` reads the database's status (``{"version", "head",
       "synced", "unknown", ...}``); a :class:`NotReadyError` in test mode is
       result None with ``texts["not_ready"]``, any other error (or the same
       outside test mode) is result False with ``texts["unreadable"]``;
    2. revisions the code does not ship (a schema newer than the code: the
       package downgraded, or another host upgraded first; the old manage
       program cannot migrate it) fail without running anything
       (``texts["unknown"]``);
    3. synced: result True, no changes (``texts["synced"]``);
    4. test mode predicts: ``changes(before, predict(before))``, result None
       (``texts["would"]``);
    5. ``sync()`` migrates, then ``status()`` is read again: a sync that
       exited 0 short of the heads would otherwise be reported, and run
       again, on every run.  Changes are ``changes(before, after)``; an
       error fails with ``texts["failed"]`` and no changes, a database still
       not synced fails with ``texts["short"]``, else ``texts["migrated"]``.

    ``texts`` are the state's comments (over :data:`TEXTS`), ``words`` its
    plain values for them (``code``: the program whose code ships the
    migrations, ``heads``: how to call its heads), ``describe(after)`` what
    the database holds after the sync (default its ``version``).
    """
    texts = dict(TEXTS, **texts)
    values = dict(words or {}, name=name, label=label)

    def verdict(result, key, changed=None, **more):
        values.update(more)
        return {"name": name, "result": result, "changes": changed or {},
                "comment": texts[key].format(**values)}  # fmt: skip

    try:
        before = status()
    except (CommandExecutionError, SaltInvocationError) as exc:
        if test and is_not_ready(exc):
            return verdict(None, "not_ready", reason=not_ready_reason(exc))
        return verdict(False, "unreadable", error=exc)
    values.update(head=before["head"], version=before["version"])
    if before.get("unknown"):
        # A schema newer than the code (the package downgraded, or another
        # host upgraded first): the old manage program cannot migrate it.
        return verdict(False, "unknown", unknown=" ".join(before["unknown"]))
    if before["synced"]:
        return verdict(True, "synced")
    if test:
        return verdict(None, "would", changed=changes(before, predict(before)))
    try:
        sync()
        # Read again: a sync that exited 0 short of the heads would
        # otherwise be reported, and run again, on every run.
        after = status()
    except CommandExecutionError as exc:
        return verdict(False, "failed", error=exc)
    reached = describe(after) if describe else after["version"]
    done = changes(before, after)
    if not after["synced"]:
        return verdict(False, "short", reached=reached, changed=done)
    return verdict(True, "migrated", reached=reached, changed=done)
