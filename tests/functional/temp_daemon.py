"""
The life cycle shared by the throwaway servers of the functional tests.

A :class:`TempDaemon` runs one program as a child of the test, its files in
a fresh temporary directory deleted when it stops. A subclass names that
directory's attribute (``dir_attr``) and prefix (``dir_prefix``), sets its
default timeouts and implements ``_start(timeout)``, which starts
``self.process`` (a :class:`subprocess.Popen`) and waits until it answers::

    class FooServer(TempDaemon):
        dir_attr, dir_prefix = "base_dir", "foo-"

        def _start(self, timeout):
            self.process = subprocess.Popen([...], cwd=self.base_dir)

    with FooServer() as server:
        ...
"""

import os
import pathlib
import shutil
import signal
import subprocess
import tempfile


class TempDaemon:
    """A program run by a test, with its files in a temporary directory."""

    dir_attr = "base_dir"  # the attribute holding the directory
    dir_prefix = "daemon-"
    start_timeout = 60
    stop_timeout = 30
    kill_group = False  # SIGKILL the whole process group, not just the child

    def __init__(self, parent_dir=None):
        self.parent_dir = parent_dir
        self.process = None
        setattr(self, self.dir_attr, None)

    def start(self, timeout=None):
        """Create the directory, start the program and wait until it answers."""
        directory = tempfile.mkdtemp(prefix=self.dir_prefix, dir=self.parent_dir)
        setattr(self, self.dir_attr, pathlib.Path(directory))
        try:
            self._start(self.start_timeout if timeout is None else timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, timeout):
        raise NotImplementedError

    def _terminate(self, timeout):  # pylint: disable=unused-argument
        """Ask the program to stop (it is then awaited for ``timeout``)."""
        self.process.terminate()

    def stop(self, timeout=None):
        """Stop the program (then SIGKILL it) and delete its directory."""
        timeout = self.stop_timeout if timeout is None else timeout
        if self.process is not None and self.process.poll() is None:
            try:
                self._terminate(timeout)
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                if self.kill_group:
                    os.killpg(self.process.pid, signal.SIGKILL)
                else:
                    self.process.kill()
                self.process.wait(timeout)
        self.process = None
        directory = getattr(self, self.dir_attr)
        if directory:
            shutil.rmtree(directory, ignore_errors=True)
            setattr(self, self.dir_attr, None)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
