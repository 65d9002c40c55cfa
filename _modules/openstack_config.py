"""
Read and edit OpenStack configuration files the way oslo.config reads them.

Pure Python, no ``openstack-config``/``crudini`` binary and no dependency on
Salt's core ``ini``/``openstack_config`` modules.

File format (as ``oslo_config.iniparser`` reads it):

* ``[section]`` starts a section; ``[DEFAULT]`` is an ordinary, real section
  (no configparser-style inheritance of its keys into other sections).
  Lines before the first section header form the pseudo-section ``""``
  (oslo.config rejects such keys; they are kept and addressable, not lost).
* ``key = value`` or ``key: value`` (split at the first ``=`` or ``:``);
  the value is taken verbatim: no interpolation, and ``#``, ``%``, ``=`` or
  ``:`` inside a value are part of it.  A value wrapped in matching quotes is
  unquoted, like oslo.config does.
* Lines starting with ``#`` or ``;`` are comments; indented lines continue the
  previous value (joined with a newline); a blank line ends a value.
* Section names are case-insensitive, except ``[DEFAULT]``: ``[Database]``
  and ``[database]`` are one section, as oslo.config reads them (it lowercases
  every group name but ``DEFAULT``).  A new key goes into the first block of
  the section, whatever its spelling.
* ``$`` is oslo.config's substitution character (``$my_ip``).  oslo.config
  first turns every ``\\$`` into ``$$``, then substitutes ``$name`` and
  reads ``$$`` as ``$``.  Every ``$`` of a value set here is written
  ``\\$`` (see :func:`escape`), so the service reads back exactly the value
  given, even with a backslash right before a ``$`` (``a\\$b`` is written
  ``a\\\\$b``); :func:`get` reads a value back the same way.  A value cannot
  ask for a substitution.  A value an older version wrote as ``$$`` reads
  back the same and is not rewritten.  Only for oslo.config files: with
  ``oslo=False`` (MariaDB's option files, uwsgi's ``.ini``, where ``$`` means
  something else) values are written and read verbatim.
* A key repeated in a section is a multi-valued option: reading it returns
  the list of values, in file order.  Setting a key replaces every
  occurrence: the first one is rewritten in place (once per list item), the
  others are removed.

Where a new key goes: right after its commented-out default (the first
``#key = ...`` line of that section, ``#`` directly followed by the key as
oslo-config-generator writes it in Debian's shipped ``nova.conf``; indented
examples such as ``#     key = ...`` in the help text are not defaults),
otherwise after the last non-blank line of the section.  Missing sections
are created: ``[DEFAULT]`` before the first section, the others at the end
of the file.  Every line that is not set or deleted is written back
byte-for-byte (comments, blank lines, order, line endings); new lines take
the line ending of the file's first line (``\r\n`` in a CRLF file).

Edits are computed in memory from one read and written with one atomic
write (temporary file in the same directory, then rename, then an fsync of
the directory), keeping the owner, group, mode and extended attributes
(SELinux label, ACLs) of the file unless others are requested.  When nothing
changes, nothing is written (the mtime stays the same).  The directory is
locked (``flock``) from the read to the rename, so concurrent writers of one
file do not lose each other's options.

Links: a symbolic link as the file itself is refused, and so is a symbolic
link owned by a user other than root on the way to it: a service user who
can write its configuration directory could otherwise point the file at
any root-owned file and have it rewritten and re-owned.  A file with more
than one hard link, or that is not a regular file, is refused too.  Every
operation goes through file descriptors opened without following links.

Secrets never appear in the change reports returned by :func:`set`,
:func:`delete`, :func:`update` and :func:`remove_sections`: values of options whose name contains
``password``, ``secret``, ``token`` or ``key`` are replaced by ``******``, and
so is the password part of URLs (``mysql+pymysql://nova:******@db/nova``).
"""
import errno
import fcntl
import grp
import os
import pwd
import secrets
import stat
import time

from salt.exceptions import CommandExecutionError

# The INI documents and the secret masker shared with nova_manage
# (_utils/): synced to extmods/utils, which the loader puts on sys.path
# while it loads this module, or part of the pip-installed package.
try:
    import saltext_openstack_ini as ini
    import saltext_openstack_mask as mask
except ImportError:
    from saltext_openstack._utils import saltext_openstack_ini as ini
    from saltext_openstack._utils import saltext_openstack_mask as mask

__virtualname__ = "openstack_config"
__func_alias__ = {"set_": "set"}

MASK = mask.MASK


def __virtual__():
    return __virtualname__


# ---------------------------------------------------------------------------
# Files: reading, atomic writing, owner/group/mode
# ---------------------------------------------------------------------------


class _File:
    """
    ``filename`` opened for an edit without following a link a non-root
    user could have placed: ``dir_fd`` is its directory, ``fd`` the file
    itself (None if missing), ``stat`` its ``os.fstat`` and ``text`` its
    content (None if missing).  A context manager: closes both.
    """

    def __init__(self, filename, lock=False):
        self.filename = filename
        self.dir_fd = self.fd = self.stat = self.text = None
        directory, self.base = os.path.split(os.path.abspath(filename))
        try:
            directory = _safe_directory(filename, directory)
            if directory is None:
                return  # neither the directory nor the file exist (yet)
            self.dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            if lock:
                _lock(filename, self.dir_fd)
            self._open()
        except BaseException:
            self.close()
            raise

    def _open(self):
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            self.fd = os.open(self.base, flags, dir_fd=self.dir_fd)
        except FileNotFoundError:
            return
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise CommandExecutionError(
                    f"{self.filename} is a symbolic link: refusing to follow it"
                ) from None
            raise CommandExecutionError(f"cannot read {self.filename}: {exc.strerror}") from None
        self.stat = os.fstat(self.fd)
        if stat.S_ISDIR(self.stat.st_mode):
            raise CommandExecutionError(f"cannot read {self.filename}: Is a directory")
        if not stat.S_ISREG(self.stat.st_mode):
            raise CommandExecutionError(f"{self.filename} is not a regular file")
        if self.stat.st_nlink > 1:
            raise CommandExecutionError(
                f"{self.filename} has {self.stat.st_nlink} hard links: refusing to edit it"
            )
        chunks = []
        while True:
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        self.text = b"".join(chunks).decode("utf-8", "surrogateescape")

    def close(self):
        for fd in (self.fd, self.dir_fd):
            if fd is not None:
                os.close(fd)
        self.fd = self.dir_fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_MAX_LINKS = 40


def _safe_directory(filename, directory):
    """
    ``directory`` with its symbolic links resolved, refusing any link not
    owned by root (a user can only create links it owns): a service user
    must not redirect root's edit through a link in a directory it can
    write.
    """
    resolved, pending, links = "/", [part for part in directory.split("/") if part], 0
    while pending:
        part = pending.pop(0)
        if part == ".":
            continue
        if part == "..":
            resolved = os.path.dirname(resolved)
            continue
        candidate = os.path.join(resolved, part)
        try:
            info = os.lstat(candidate)
        except FileNotFoundError:
            return None
        if not stat.S_ISLNK(info.st_mode):
            resolved = candidate
            continue
        links += 1
        if info.st_uid != 0 or links > _MAX_LINKS:
            raise CommandExecutionError(
                f"{filename}: {candidate} is a symbolic link owned by uid {info.st_uid}: "
                "refusing to follow it"
            )
        target = os.readlink(candidate)
        if target.startswith("/"):
            resolved = "/"
        pending[:0] = [item for item in target.split("/") if item]
    return resolved


_LOCK_TIMEOUT = 120


def _lock(filename, dir_fd):
    """Lock the file's directory (the file itself is replaced by each write)."""
    deadline = time.monotonic() + _LOCK_TIMEOUT
    while True:
        try:
            fcntl.flock(dir_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise CommandExecutionError(
                    f"cannot lock the directory of {filename}: still locked after {_LOCK_TIMEOUT} s"
                ) from None
            time.sleep(0.05)


def _read(filename):
    with _File(filename) as handle:
        if handle.text is None:
            raise CommandExecutionError(f"{filename}: no such file")
        return handle.text


def _owner_id(owner, kind, lookup):
    """The number of the ``kind`` (user, group) ``owner``, a name or a
    number (None stays None); ``lookup``: its number from its name."""
    if owner is None:
        return None
    if isinstance(owner, int) or str(owner).isdigit():
        return int(owner)
    try:
        return lookup(str(owner))
    except KeyError:
        raise CommandExecutionError(f"{kind} {owner!r} does not exist") from None


def _uid(user):
    return _owner_id(user, "user", lambda name: pwd.getpwnam(name).pw_uid)


def _gid(group):
    return _owner_id(group, "group", lambda name: grp.getgrnam(name).gr_gid)


def _mode(mode):
    """Salt-style mode: ``640``, ``"0640"``, ``"0o640"`` -> 0o640."""
    if mode is None:
        return None
    text = str(mode).strip().strip("'\"").replace("0o", "0", 1)
    if not text or any(char not in "01234567" for char in text) or int(text, 8) > 0o7777:
        raise CommandExecutionError(f"invalid mode {mode!r}")
    return int(text, 8)


def _user_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group_name(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _default_mode():
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _attribute_changes(current, uid, gid, mode):
    """Changes of user/group/mode between ``os.stat`` result ``current`` (or None) and the wanted ones."""
    old_uid, old_gid, old_mode = (
        (None, None, None)
        if current is None
        else (current.st_uid, current.st_gid, current.st_mode & 0o7777)
    )
    changes = {}
    if uid is not None and uid != old_uid:
        changes["user"] = {"old": _opt(_user_name, old_uid), "new": _user_name(uid)}
    if gid is not None and gid != old_gid:
        changes["group"] = {"old": _opt(_group_name, old_gid), "new": _group_name(gid)}
    if mode is not None and mode != old_mode:
        changes["mode"] = {"old": _opt("{:04o}".format, old_mode), "new": f"{mode:04o}"}
    return changes


def _opt(function, value):
    return None if value is None else function(value)


def _copy_xattrs(source_fd, target_fd):
    """Copy the extended attributes (SELinux label, ACLs, user.*) to the new file."""
    try:
        names = os.listxattr(source_fd)
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            return
        raise
    for name in names:
        os.setxattr(target_fd, name, os.getxattr(source_fd, name))


def _write_atomic(handle, text, uid, gid, mode):
    """
    Write ``text`` to a new file next to ``handle``'s, then rename it over
    it and fsync the directory; all through descriptors.
    """
    dir_fd = handle.dir_fd
    if dir_fd is None:
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT))
    temp = f".{handle.base}.{secrets.token_hex(6)}.tmp"
    fd = os.open(
        temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dir_fd
    )
    try:
        try:
            os.write(fd, text.encode("utf-8", "surrogateescape"))
            if handle.fd is not None:
                _copy_xattrs(handle.fd, fd)
            _apply_attributes(fd, uid, gid, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, handle.base, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        try:
            os.unlink(temp, dir_fd=dir_fd)
        except OSError:
            pass
        raise
    os.fsync(dir_fd)


def _apply_attributes(fd, uid, gid, mode):
    current = os.fstat(fd)
    if (uid, gid) != (None, None) and (uid, gid) != (current.st_uid, current.st_gid):
        os.fchown(fd, -1 if uid is None else uid, -1 if gid is None else gid)
    if mode is not None and mode != current.st_mode & 0o7777:
        os.fchmod(fd, mode)


# ---------------------------------------------------------------------------
# Normalisation of the state/CLI arguments
# ---------------------------------------------------------------------------


def _wanted_settings(settings, oslo=True):
    """{section: {key: value}} -> {(section, key): [str, ...]} (as written)."""
    if not settings:
        return {}
    if not isinstance(settings, dict):
        raise CommandExecutionError("settings must map sections to {option: value} mappings")
    wanted = {}
    for section, options in settings.items():
        section = ini.check_section(section)
        if not isinstance(options, dict):
            raise CommandExecutionError(f"settings of section [{section}] must map options to values")
        for key, value in options.items():
            key = ini.check_key(section, str(key))
            wanted[(section, key)] = ini.normalise(section, key, value, oslo)
    return wanted


def _unwanted_options(remove):
    """{section: [key, ...]} (or a single key) -> [(section, key)]."""
    if not remove:
        return []
    if not isinstance(remove, dict):
        raise CommandExecutionError("settings must map sections to lists of options")
    unwanted = []
    for section, keys in remove.items():
        section = ini.check_section(section)
        if isinstance(keys, (str, int)):
            keys = [keys]
        if not isinstance(keys, (list, tuple, dict)):
            raise CommandExecutionError(f"options of section [{section}] must be a list of names")
        unwanted.extend((section, ini.check_key(section, str(key))) for key in keys)
    return unwanted


def _option_report(changes):
    report = {}
    for section, key, old, new in changes:
        report.setdefault(section, {})[key] = {
            "old": mask.mask_value(key, ini.display(old), MASK),
            "new": mask.mask_value(key, ini.display(new), MASK),
        }
    return report


def _section_report(removed):
    return {
        section: {
            "old": {key: mask.mask_value(key, ini.display(old), MASK) for key, old in options.items()},
            "new": None,
        }
        for section, options in removed
    }


def _edit(
    filename,
    wanted,
    unwanted,
    attributes=(None, None, None),
    test=False,
    missing="create",
    oslo=True,
    prune=None,
):
    """
    Apply the edits to ``filename`` with one read and at most one write;
    return the masked report.  ``missing`` says what a missing file means:
    ``"create"`` it, ``"skip"`` (nothing to do) or ``"error"``.  ``prune``:
    ``(having, keep)``, the sections to remove whole
    (``IniDocument.remove_sections``).
    """
    with _File(filename, lock=not test) as handle:
        text = handle.text
        if text is None and missing == "error":
            raise CommandExecutionError(f"{filename}: no such file")
        if text is None and missing == "skip":
            return {}
        document = ini.IniDocument(text or "", oslo=oslo)
        for (section, key), values in wanted.items():
            document.set(section, key, values)
        for section, key in unwanted:
            document.delete(section, key)
        if prune is not None:
            document.remove_sections(*prune)
        changes = document.changes()
        removed = document.removed_sections()
        report = _attribute_changes(handle.stat, *attributes)
        if changes:
            report["options"] = _option_report(changes)
        if removed:
            report["sections"] = _section_report(removed)
        if text is None:
            report["file"] = "created"
        if report and not test:
            _save(handle, document, bool(changes or removed), attributes)
        return report


def _save(handle, document, changed, attributes):
    """Write the document (new file or changed options) or just fix its attributes."""
    uid, gid, mode = attributes
    current = handle.stat
    try:
        if current is None:
            _write_atomic(handle, document.render(), uid, gid, _default_mode() if mode is None else mode)
        elif changed:
            _write_atomic(
                handle,
                document.render(),
                current.st_uid if uid is None else uid,
                current.st_gid if gid is None else gid,
                current.st_mode & 0o7777 if mode is None else mode,
            )
        else:
            _apply_attributes(handle.fd, uid, gid, mode)
    except OSError as exc:
        raise CommandExecutionError(f"cannot write {handle.filename}: {exc.strerror}") from None


# ---------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------


def escape(value):
    """
    Return ``value`` as it must be written into an oslo.config file for the
    service to read it back unchanged: every ``$`` written ``\\$``.

    oslo.config first turns every ``\\$`` into ``$$``, then substitutes
    ``$name`` and reads ``$$`` as ``$``.  So ``$$`` would not do: a
    backslash right before a ``$`` (``a\\$b``, written ``a\\$$b``) would
    become ``a$$$b`` and then a substitution of ``$b``.  With ``\\$`` the
    value's own backslash stays: ``a\\$b`` is written ``a\\\\$b``, read
    ``a\\$$b``, then ``a\\$b``.  Used by this module for every value it
    writes into an oslo.config file and by ``nova_manage`` for its temporary
    configuration files.

    CLI Example::

        salt '*' openstack_config.escape 'pa$word'
    """
    return ini.escape(value)


def get(filename, section, parameter, oslo=True):
    """
    Return the value of ``parameter`` in ``[section]`` of ``filename``.

    A multi-valued option (the key repeated in the section) is returned as a
    list of its values, in file order.  Keys placed before any section header
    are read with ``section=""``.  ``$`` escapes are read the way oslo.config
    reads them (``\\$`` and ``$$`` give ``$``: the value given to
    :func:`set`); a ``$name`` substitution is returned as written.  With
    ``oslo=False`` (not an oslo.config file) the value is returned verbatim.
    Raises an error if the file, the section or the option does not exist.

    CLI Example::

        salt '*' openstack_config.get /etc/nova/nova.conf DEFAULT my_ip
        salt '*' openstack_config.get /etc/nova/nova.conf filter_scheduler enabled_filters
        salt '*' openstack_config.get /etc/keystone/keystone-uwsgi.ini uwsgi processes oslo=False
    """
    section, parameter = ini.check_section(section), str(parameter)
    oslo = ini.check_oslo(oslo)
    document = ini.IniDocument(_read(filename), oslo=oslo)
    values = document.values(section, parameter)
    if values:
        return ini.display([ini.unescape(value) if oslo else value for value in values])
    reason = "option not set" if document.has_section(section) else "no such section"
    raise CommandExecutionError(
        f"parameter {parameter!r} not found in section [{section}] of {filename} ({reason})"
    )


def set_(filename, section, parameter, value, oslo=True):
    """
    Set ``parameter`` in ``[section]`` of ``filename`` to ``value``.

    The file and the section are created if missing.  Every existing
    occurrence of the parameter is replaced; a list value writes the
    parameter once per item (oslo multi-valued option).  Booleans are written
    ``true``/``false``.  ``$`` is escaped for oslo.config (:func:`escape`)
    unless ``oslo=False``.  Returns the (masked) changes, ``{}`` if the
    value was already set (the file is then not written).

    CLI Example::

        salt '*' openstack_config.set /etc/nova/nova.conf DEFAULT my_ip 10.0.0.11
        salt '*' openstack_config.set /etc/nova/nova.conf DEFAULT debug True
        salt '*' openstack_config.set /etc/nova/nova.conf filter_scheduler enabled_filters '[ComputeFilter, ImagePropertiesFilter]'
        salt '*' openstack_config.set /etc/mysql/mariadb.conf.d/99-openstack.cnf mysqld bind-address 10.0.0.11 oslo=False
    """
    section = ini.check_section(section)
    parameter = ini.check_key(section, str(parameter))
    oslo = ini.check_oslo(oslo)
    wanted = {(section, parameter): ini.normalise(section, parameter, value, oslo)}
    return _edit(filename, wanted, [], oslo=oslo)


def delete(filename, section, parameter):
    """
    Remove every occurrence of ``parameter`` from ``[section]`` of ``filename``.

    Returns the (masked) changes, ``{}`` if the parameter was not set.
    Raises an error if the file does not exist.

    CLI Example::

        salt '*' openstack_config.delete /etc/nova/nova.conf DEFAULT use_neutron
    """
    section = ini.check_section(section)
    parameter = ini.check_key(section, str(parameter))
    return _edit(filename, {}, [(section, parameter)], missing="error")


def sections(filename):
    """
    List the sections of ``filename`` in file order (``""`` first if keys
    appear before any section header).

    CLI Example::

        salt '*' openstack_config.sections /etc/nova/nova.conf
    """
    return ini.IniDocument(_read(filename)).sections()


def _keep_list(keep):
    """The section names of ``keep``: None, a name or a list of names."""
    if keep is None:
        return []
    if isinstance(keep, str):
        keep = [keep]
    if not isinstance(keep, (list, tuple)) or not all(isinstance(name, str) for name in keep):
        raise CommandExecutionError(f"keep must be a list of section names, not {keep!r}")
    return [ini.check_section(name) for name in keep]


def remove_sections(filename, having, keep=None, test=False):
    """
    Remove whole every section of ``filename`` that sets the option
    ``having``, except the sections named in ``keep``, with one read and at
    most one (atomic) write: the sections of items taken out of a list,
    such as the backends of cinder's ``enabled_backends`` (``having=volume_driver``).

    Never removed: ``[DEFAULT]``, the lines before the first section header,
    and any section that does not set ``having``.  Section names are compared
    as oslo.config reads them (``[Ceph]`` is ``[ceph]``).  A removed section
    goes with all its lines, comments included, except the comment lines
    right above the next section's header, which head that section.  A missing file has no
    sections to remove.  ``test``: only report what would be removed.

    Returns the removed sections with their options (secrets masked):
    ``{"sections": {section: {"old": {option: value}, "new": None}}}``, or
    ``{}`` when no section is to be removed (the file is then not written).

    CLI Example::

        salt '*' openstack_config.remove_sections /etc/cinder/cinder.conf volume_driver keep='[lvm, ceph]'
        salt '*' openstack_config.remove_sections /etc/cinder/cinder.conf volume_driver keep=lvm test=True
    """
    if not isinstance(having, str):
        raise CommandExecutionError(f"having must be an option name, not {having!r}")
    having = ini.check_key("having", having)
    return _edit(filename, {}, [], test=test, missing="skip", prune=(having, _keep_list(keep)))


def update(
    filename, settings=None, remove=None, user=None, group=None, mode=None, test=False, oslo=True
):
    """
    Set and remove many options of ``filename`` with one read and at most one
    (atomic) write; the engine of the ``openstack_config`` states.

    settings
        ``{section: {option: value}}``; values may be strings, numbers,
        booleans or lists (multi-valued options).  The file is created if
        missing.
    remove
        ``{section: [option, ...]}`` to delete.
    user, group, mode
        Wanted owner, group and mode (e.g. ``0640``) of the file, applied to
        a new file and fixed on an existing one.
    test
        Only report what would change; write nothing.
    oslo
        ``True`` (default): an oslo.config file, every ``$`` of a value is
        escaped (:func:`escape`).  ``False``: another INI file read by a
        program for which ``$`` means something else or nothing (MariaDB's
        option files, uwsgi's ``.ini``): values are written verbatim.

    Returns the changes, with secrets masked:
    ``{"options": {section: {option: {"old": ..., "new": ...}}},
    "user"/"group"/"mode": {"old": ..., "new": ...}, "file": "created"}``
    (only the keys that apply; ``{}`` when nothing changes).

    CLI Example::

        salt '*' openstack_config.update /etc/nova/nova.conf settings='{DEFAULT: {debug: true}}' test=True
        salt '*' openstack_config.update /etc/keystone/keystone-uwsgi.ini settings='{uwsgi: {processes: 2}}' oslo=False
    """
    oslo = ini.check_oslo(oslo)
    wanted = _wanted_settings(settings, oslo)
    unwanted = _unwanted_options(remove)
    attributes = (_uid(user), _gid(group), _mode(mode))
    missing = "skip" if unwanted and not wanted else "create"
    return _edit(filename, wanted, unwanted, attributes, test, missing, oslo)
