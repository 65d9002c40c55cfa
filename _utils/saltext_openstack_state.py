"""
What the extension's state modules share: the state return of a state
whose execution module is not loaded because its program is missing
(``gluster``, ``nova_manage``, ``openstack_db``, ``openstack_rabbitmq``).

Not a Salt loader module: the states import it directly, synced
(``extmods/utils``) or pip-installed (``saltext_openstack._utils``), as
they import ``saltext_openstack_schema`` (README, "Shared code").
"""


def __virtual__():
    # Also found by Salt's utils loader in extmods/utils: not a __utils__ module.
    return (False, "saltext_openstack_state is imported by the extension's states directly")


def unavailable(salt_funcs, opts, probe, program, name, doing):
    """
    None when ``probe`` (a function of the state's execution module) is
    loaded.  Otherwise the state's return: in a dry run (``test=True``) a new
    host has not installed the program yet, and the states that install
    it come first in the same run: result None, "Would <doing> once
    <program> is installed".  In a real run: result False, "Cannot <doing>:
    <program> is not installed".
    """
    if probe in salt_funcs:
        return None
    test = bool(opts.get("test"))
    comment = "Would {} once {} is installed" if test else "Cannot {}: {} is not installed"
    return {"name": name, "result": None if test else False, "changes": {},
            "comment": comment.format(doing, program)}
