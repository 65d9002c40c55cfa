"""
What the extension's state modules share: a state's first return
(:func:`ret`) and its ends (:func:`noted`: what it did; :func:`failed`: the
error after it), and the return of a state whose execution module is not
loaded because its program is missing (``gluster``, ``nova_manage``,
``openstack_db``, ``openstack_rabbitmq``: :func:`unavailable`, through each
module's ``_unavailable`` made by :func:`unavailable_in`).

Not a Salt loader module: the states import it directly, synced
(``extmods/utils``) or pip-installed (``saltext_openstack._utils``), as
they import ``saltext_openstack_schema`` (README, "Shared code").
"""


def __virtual__():
    # Also found by Salt's utils loader in extmods/utils: not a __utils__ module.
    return (False, "saltext_openstack_state is imported by the extension's states directly")


def ret(name):
    """A state's return before it has done anything: success, no change, no comment."""
    return {"name": name, "result": True, "changes": {}, "comment": ""}


def noted(state_ret, notes, test, unchanged):
    """
    The end of a state that recorded in ``state_ret["changes"]`` what it did
    (or, in a dry run, ``test``, would do) and said it in ``notes``: with
    changes the notes are the comment (result None in a dry run); without,
    the comment is ``unchanged``.
    """
    if state_ret["changes"]:
        state_ret["comment"] = "; ".join(notes)
        if test:
            state_ret["result"] = None
    else:
        state_ret["comment"] = unchanged
    return state_ret


def failed(state_ret, exc, notes=()):
    """The end of a state that met the error ``exc`` after doing ``notes``:
    result False, what was done and the error."""
    state_ret["result"] = False
    state_ret["comment"] = "; ".join([*notes, str(exc)])
    return state_ret


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


def unavailable_in(module_globals, probe, program):
    """
    A state module's ``_unavailable(name, doing)``: :func:`unavailable` for
    its execution module's ``probe`` and ``program``, with the ``__salt__``
    and ``__opts__`` that Salt's loader puts in the state module's globals
    (``module_globals``, read at each call).  The state module loads even
    when the program is missing (a new host in a dry run, before the
    package is installed): each of its states says so itself.
    """

    def _unavailable(name, doing):
        return unavailable(module_globals["__salt__"], module_globals["__opts__"], probe, program,
                           name, doing)

    return _unavailable
