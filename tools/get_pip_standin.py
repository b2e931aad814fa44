"""Offline stand-in for pip's get-pip.py, for ansible-test.

ansible-test bootstraps pip into each virtualenv it creates by downloading a
get-pip.py script from a host this project cannot reach. This file, placed in
ansible-test's cache under the name it expects (see install-get-pip.sh),
does the same job with the interpreter's own ensurepip and then installs the
requested pip version from the package index.
"""

from __future__ import annotations

import ensurepip
import os
import subprocess
import sys

# get-pip.py options that `pip install` does not know.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}


def main() -> None:
    # ensurepip points PIP_CONFIG_FILE at /dev/null in os.environ; the real
    # install must see the machine's pip configuration (index, certificates).
    environment = dict(os.environ)
    ensurepip.bootstrap(upgrade=True)
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    subprocess.check_call([sys.executable, "-m", "pip", "install", *args], env=environment)


if __name__ == "__main__":
    main()
