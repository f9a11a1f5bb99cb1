# shellcheck shell=bash
# Run ansible-test against this collection without network access beyond PyPI.
#
# Usage: bash tests/tools/ansible_test.sh <ansible-test arguments...>
#   e.g. bash tests/tools/ansible_test.sh sanity --venv --python 3.11
#        bash tests/tools/ansible_test.sh units --venv --python 3.11
#
# Environment:
#   ANSIBLE_TEST_BIN          ansible-test executable to use, or
#   PYTHON                    python of a virtualenv that has ansible-core
#                             (its sibling bin/ansible-test is used);
#                             default: ansible-test found on PATH
#   COLLECTION_ROOT           collection to test (default: this repository)
#   ANSIBLE_TEST_RESULTS_DIR  if set, tests/output of the run is copied there
#
# ansible-test must run from .../ansible_collections/<namespace>/<name>, so
# the collection's files (as git lists them: tracked plus untracked, not
# ignored) are copied into a temporary ansible_collections/hostcraft/cloud
# tree, which is removed afterwards.  A symlink is not enough: ansible-test
# locates the collection through os.getcwd(), which resolves symlinks.
#
# ansible-test bootstraps pip in its virtualenvs with a get-pip.py script that
# it downloads unless ~/.ansible/test/cache/get_pip_<version>.py exists; the
# offline stand-in tests/tools/get_pip_standin.py is put there when missing.
#
# Runs of this script on one machine are serialized with flock(1), because
# concurrent ansible-test runs corrupt the shared ~/.ansible/test/venv cache.

set -euo pipefail

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd -- "${script_dir}/../.." && pwd)
collection_root=$(cd -- "${COLLECTION_ROOT:-${repo_root}}" && pwd)
namespace=hostcraft
name=cloud

die() {
    echo "ansible_test.sh: $*" >&2
    exit 2
}

# --- locate ansible-test and the python it runs with ---------------------

if [[ -n "${ANSIBLE_TEST_BIN:-}" ]]; then
    ansible_test=${ANSIBLE_TEST_BIN}
elif [[ -n "${PYTHON:-}" ]]; then
    ansible_test=$(dirname -- "${PYTHON}")/ansible-test
else
    ansible_test=$(command -v ansible-test) || die "ansible-test not found; set ANSIBLE_TEST_BIN or PYTHON"
fi
[[ -x "${ansible_test}" ]] || die "not an executable: ${ansible_test}"

if [[ -n "${PYTHON:-}" ]]; then
    python=${PYTHON}
elif [[ -x "$(dirname -- "${ansible_test}")/python" ]]; then
    python=$(dirname -- "${ansible_test}")/python
else
    # console scripts start with "#!<interpreter>"
    read -r shebang < "${ansible_test}"
    python=${shebang#\#!}
fi

# --- seed the offline get-pip stand-in -----------------------------------

# The pip version(s) ansible-test bootstraps, from the installed ansible_test.
pip_versions=$("${python}" - <<'PY'
import types

from ansible_test._internal.constants import SUPPORTED_PYTHON_VERSIONS
from ansible_test._internal.python_requirements import get_venv_packages

versions = {
    get_venv_packages(types.SimpleNamespace(version=version))['pip']
    for version in SUPPORTED_PYTHON_VERSIONS
}
print('\n'.join(sorted(versions)))
PY
) || die "cannot read the pip version from ansible_test (python: ${python})"

cache_dir=${HOME}/.ansible/test/cache
mkdir -p -- "${cache_dir}"
for pip_version in ${pip_versions}; do
    cached=${cache_dir}/get_pip_${pip_version//./_}.py
    if [[ ! -e "${cached}" ]]; then
        cp -- "${script_dir}/get_pip_standin.py" "${cached}.tmp.$$"
        mv -f -- "${cached}.tmp.$$" "${cached}"
        echo "ansible_test.sh: seeded ${cached}" >&2
    fi
done

# --- stage the collection under ansible_collections/<ns>/<name> -----------

work_dir=$(mktemp -d "${TMPDIR:-/tmp}/ansible-test-${namespace}-${name}.XXXXXX")
trap 'rm -rf -- "${work_dir}"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

dest=${work_dir}/ansible_collections/${namespace}/${name}
# shellcheck source=tests/tools/stage_collection.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/stage_collection.sh"
stage_collection "${collection_root}" "${dest}"

# --- run -----------------------------------------------------------------

# ansible-test keeps its virtualenvs in ~/.ansible/test/venv; runs sharing it
# at the same time break each other's installs, so take turns.
if command -v flock > /dev/null; then
    exec 9> "${cache_dir}/../hostcraft-cloud-ansible-test.lock"
    if ! flock -n 9; then
        echo "ansible_test.sh: waiting for another ansible-test run to finish" >&2
        flock 9
    fi
fi

rc=0
(cd -- "${dest}" && "${ansible_test}" "$@") || rc=$?

if [[ -n "${ANSIBLE_TEST_RESULTS_DIR:-}" && -d "${dest}/tests/output" ]]; then
    mkdir -p -- "${ANSIBLE_TEST_RESULTS_DIR}"
    cp -R -- "${dest}/tests/output/." "${ANSIBLE_TEST_RESULTS_DIR}/"
fi

exit "${rc}"
