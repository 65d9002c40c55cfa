"""
What the schema states of this extension share (``openstack_db.schema_synced``
for placement, cinder, keystone and glance, ``nova_manage.db_synced`` for
nova's databases) and the execution modules under them (``openstack_db``,
``nova_manage``): the typed "not ready yet" error.

Not a Salt loader module: the modules import it directly, synced
(``extmods/utils``, on ``sys.path`` while the loader loads a module) or
pip-installed (``saltext_openstack._utils``), as they import
``saltext_openstack_api`` (see the README's "Shared code"):

.. code-block:: python

    try:
        import saltext_openstack_schema as schema
    except ImportError:
        from saltext_openstack._utils import saltext_openstack_schema as schema

Both sides of a call (the execution module raising, the state catching)
import it the same way in the same process, so they share one
:class:`NotReadyError`.
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
    error's text by a state.
    """


def not_ready_reason(exc):
    """The last line of a :class:`NotReadyError`'s message: the reason."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else ""
