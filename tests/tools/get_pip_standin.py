"""Offline stand-in for the ``get-pip.py`` bootstrap script used by ansible-test.

ansible-test bootstraps pip in the virtual environments it creates by running
``python ~/.ansible/test/cache/get_pip_<version>.py <pip options> <packages>``
and downloads that script when it is not cached.  Where the download host is
unreachable, this file is copied to that cache path instead.

It installs the pip bundled with Python through ``ensurepip`` and then lets
that pip install the requested packages (for example ``pip==24.2``) from the
configured package index.  ``ensurepip`` runs in a subprocess, because running
it in-process sets ``PIP_CONFIG_FILE`` to ``os.devnull`` for the rest of the
process, which would hide the machine's pip configuration from the later
install.  The ``--no-setuptools`` and ``--no-wheel`` options only exist in
``get-pip.py`` and are dropped.
"""

import subprocess
import sys

GET_PIP_ONLY_OPTIONS = frozenset(('--no-setuptools', '--no-wheel'))


def pip_install_arguments(argv):
    """Return the arguments for ``pip install`` from get-pip style arguments."""
    return [arg for arg in argv if arg not in GET_PIP_ONLY_OPTIONS]


def run(command):
    """Run a command, exiting with its return code when it fails."""
    result = subprocess.run(command, check=False)

    if result.returncode:
        sys.exit(result.returncode)


def main(argv=None):
    """Bootstrap pip, then install the requested packages with it."""
    if argv is None:
        argv = sys.argv[1:]

    run([sys.executable, '-m', 'ensurepip', '--upgrade'])
    run([sys.executable, '-m', 'pip', 'install'] + pip_install_arguments(argv))


if __name__ == '__main__':
    main()
