# shellcheck shell=bash
# `make lint`: documentation, changelog, role/playbook, execution-environment and Galaxy import checks.
#
# Usage: bash tests/tools/lint.sh            (the Makefile's `lint` target builds the collection and the venv first)
#
# Steps (all run; the script exits non-zero afterwards if any failed):
#   capability-docs      tests/tools/capability_matrix.py --check (docs/capabilities.md, docs/<provider>.md)
#   antsibull-docs       antsibull-docs lint-collection-docs --plugin-docs .
#   antsibull-changelog  antsibull-changelog lint
#   ansible-lint         ansible-lint --profile production --offline on roles/ and playbooks/ (those that exist)
#   ansible-builder      ansible-builder create -f meta/execution-environment.yml, plus the Python requirements
#                        seen by ansible-builder's introspection of the installed collection
#   galaxy-importer      python -m galaxy_importer.main build/hostcraft-cloud-<version>.tar.gz, offline
#
# Environment:
#   LINT_VENV   virtualenv holding tests/requirements-lint.txt (default: .venv-lint of this repository);
#               its bin/ goes first on PATH, so ansible-doc and ansible-galaxy are the ones of that venv
#   LINT_STEPS  run only these steps (space-separated names from the list above)
#
# Like tests/tools/ansible_test.sh, the collection's files (as git lists them: tracked plus untracked, not
# ignored) are copied into a temporary ansible_collections/hostcraft/cloud tree, which ANSIBLE_COLLECTIONS_PATH
# points at, so FQCNs (hostcraft.cloud.*) resolve; the tree is removed afterwards. Everything runs offline.

set -uo pipefail

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd -- "${script_dir}/../.." && pwd)
namespace=hostcraft
name=cloud

lint_venv=${LINT_VENV:-${repo_root}/.venv-lint}
if [[ ! -x "${lint_venv}/bin/python" ]]; then
    echo "lint.sh: no virtualenv at ${lint_venv}; run 'make lint' (it creates it from tests/requirements-lint.txt)" >&2
    exit 2
fi
lint_venv=$(cd -- "${lint_venv}" && pwd)
python=${lint_venv}/bin/python
export PATH="${lint_venv}/bin:${PATH}"
export ANSIBLE_NOCOLOR=1 NO_COLOR=1 PY_COLORS=0

all_steps="capability-docs antsibull-docs antsibull-changelog ansible-lint ansible-builder galaxy-importer"
steps=${LINT_STEPS:-${all_steps}}

version=$("${python}" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["version"])' "${repo_root}/galaxy.yml") \
    || { echo "lint.sh: cannot read the version from galaxy.yml" >&2; exit 2; }
tarball=${repo_root}/build/${namespace}-${name}-${version}.tar.gz

# --- stage the collection under ansible_collections/<ns>/<name> -----------

work_dir=$(mktemp -d "${TMPDIR:-/tmp}/lint-${namespace}-${name}.XXXXXX")
trap 'rm -rf -- "${work_dir}"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

dest=${work_dir}/ansible_collections/${namespace}/${name}
# shellcheck source=tests/tools/stage_collection.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/stage_collection.sh"
stage_collection "${repo_root}" "${dest}"

export ANSIBLE_COLLECTIONS_PATH=${work_dir}

# --- the steps -----------------------------------------------------------
# Each step function prints its tool's output and returns non-zero on failure; it sets `findings`
# (what the tool reported, for the summary) and may set `skip_reason` instead of failing.

findings=
skip_reason=

step_capability_docs() {
    (cd -- "${repo_root}" && "${python}" tests/tools/capability_matrix.py --check) 2>&1 | tee "${log}"
    local rc=${PIPESTATUS[0]}
    findings="$(grep -c '^differs: ' "${log}") stale file(s)"
    return "${rc}"
}

step_antsibull_docs() {
    (cd -- "${dest}" && antsibull-docs lint-collection-docs --plugin-docs .) 2>&1 | tee "${log}"
    local rc=${PIPESTATUS[0]}
    findings="$(grep -cE '^[^ :]+:[0-9]+:[0-9]+: ' "${log}") finding(s)"
    return "${rc}"
}

step_antsibull_changelog() {
    (cd -- "${dest}" && antsibull-changelog lint) 2>&1 | tee "${log}"
    local rc=${PIPESTATUS[0]}
    findings="$(grep -c . "${log}") finding(s)"
    return "${rc}"
}

step_ansible_lint() {
    local targets=() dir
    for dir in roles playbooks; do
        [[ -d "${dest}/${dir}" ]] && targets+=("${dir}")
    done
    if (( ${#targets[@]} == 0 )); then
        skip_reason="neither roles/ nor playbooks/ exists"
        return 0
    fi
    echo "linting: ${targets[*]}"
    (cd -- "${dest}" && ansible-lint --profile production --offline --nocolor "${targets[@]}") 2>&1 | tee "${log}"
    local rc=${PIPESTATUS[0]}
    # "Passed: 0 failure(s), 0 warning(s) in 9 files processed ..." or "Failed: ..."
    findings=$(sed -nE 's/.*(Passed|Failed): ([0-9]+ failure\(s\), [0-9]+ warning\(s\)).*/\2/p' "${log}" | tail -n 1)
    findings=${findings:-see the output}
    return "${rc}"
}

step_ansible_builder() {
    local context=${work_dir}/ee-context
    # From the repository, not the staged copy: the definition takes the tarball from ../build/.
    (cd -- "${repo_root}" && ansible-builder create -f meta/execution-environment.yml --context "${context}") 2>&1 \
        | tee "${log}"
    local rc=${PIPESTATUS[0]}
    if (( rc != 0 )); then
        findings="definition rejected"
        return "${rc}"
    fi
    if [[ ! -e "${context}/_build/collection/$(basename -- "${tarball}")" ]]; then
        echo "the build context lacks $(basename -- "${tarball}"): run 'make build' first"
        findings="collection tarball missing"
        return 1
    fi
    echo "build context: $(cd -- "${context}" && find . -type f | sort | tr '\n' ' ')"
    # The same dependencies.python, resolved by `ansible-builder build -f` (from meta/) and by ansible-builder's
    # introspection of an installed hostcraft.cloud (from the collection root), must name the same requirements.
    "${python}" - "${dest}" <<'PY' 2>&1 | tee -a "${log}"
import os
import sys

from ansible_builder._target_scripts.introspect import pip_file_data, process_collection
from ansible_builder.user_definition import UserDefinition

collection = sys.argv[1]
definition = UserDefinition(os.path.join(collection, 'meta', 'execution-environment.yml'))
definition.validate()
for_build = sorted(pip_file_data(definition.get_dep_abs_path('python')))
try:
    for_introspection = sorted(process_collection(collection)[0])
except (OSError, TypeError) as exc:
    print('introspection of the installed collection fails: %s' % exc)
    sys.exit(1)
print('Python requirements for ansible-builder build: %s' % ', '.join(for_build))
print('Python requirements found by introspection:    %s' % ', '.join(for_introspection))
if for_build != for_introspection:
    print('they differ: make meta/requirements.txt and requirements.txt list the same requirements')
    sys.exit(1)
PY
    rc=${PIPESTATUS[0]}
    if (( rc != 0 )); then
        findings="requirements mismatch"
        return "${rc}"
    fi
    findings="definition accepted"
    return 0
}

step_galaxy_importer() {
    if ! "${python}" -c 'import galaxy_importer' > /dev/null 2>&1; then
        skip_reason="galaxy-importer is not installed in ${lint_venv}"
        return 0
    fi
    if [[ ! -f "${tarball}" ]]; then
        echo "no ${tarball#"${repo_root}"/}: run 'make build' first"
        findings="tarball missing"
        return 1
    fi
    local run_dir=${work_dir}/galaxy-importer
    mkdir -p -- "${run_dir}/tmp" "${run_dir}/ansible-tmp"
    # Offline: no ansible-test container (RUN_ANSIBLE_TEST), ansible-lint with --offline; the tag list must hold
    # one of Galaxy's required tags, as galaxy.ansible.com requires.
    cat > "${run_dir}/galaxy-importer.cfg" <<EOF
[galaxy-importer]
RUN_ANSIBLE_TEST = False
RUN_ANSIBLE_DOC = True
RUN_ANSIBLE_LINT = True
OFFLINE_ANSIBLE_LINT = True
RUN_FLAKE8 = False
CHECK_REQUIRED_TAGS = True
CHECK_CHANGELOG = True
LOG_LEVEL_MAIN = INFO
TMP_ROOT_DIR = ${run_dir}/tmp
ANSIBLE_LOCAL_TMP = ${run_dir}/ansible-tmp
EOF
    echo "importing ${tarball#"${repo_root}"/}"
    # It writes importer_result.json to the working directory.
    (cd -- "${run_dir}" && GALAXY_IMPORTER_CONFIG=${run_dir}/galaxy-importer.cfg \
        "${python}" -m galaxy_importer.main "${tarball}") > "${log}" 2>&1
    local rc=$?
    grep -v '^Loading ' "${log}"
    echo "($(grep -c '^Loading ' "${log}") content items loaded)"
    local problems
    problems=$(grep -cE '^(WARNING|ERROR)' "${log}")
    findings="${problems} warning(s)/error(s)"
    if (( rc == 0 && problems > 0 )); then
        echo "galaxy-importer accepted the tarball but reported the warnings above"
        rc=1
    fi
    if (( rc == 0 )) && ! grep -q '^Importer processing completed successfully' "${log}"; then
        rc=1
    fi
    return "${rc}"
}

summary=()
failed=0
for step in ${all_steps}; do
    [[ " ${steps} " == *" ${step} "* ]] || continue
    log=${work_dir}/${step}.log
    : > "${log}"
    findings=
    skip_reason=
    printf '\n==== lint: %s ====\n' "${step}"
    start=${SECONDS}
    "step_${step//-/_}"
    rc=$?
    elapsed=$(( SECONDS - start ))
    if [[ -n "${skip_reason}" ]]; then
        result="skipped (${skip_reason})"
        echo "${step}: ${result}"
    elif (( rc == 0 )); then
        result=ok
    else
        result="FAILED (exit ${rc})"
        failed=1
    fi
    summary+=("$(printf '%-20s %-8s %4ss  %s' "${step}" "${result%% *}" "${elapsed}" "${skip_reason:-${findings}}")")
done

printf '\n==== lint summary ====\n'
printf '%s\n' "${summary[@]}"
if (( failed )); then
    echo "lint: FAILED"
    exit 1
fi
echo "lint: all steps passed"
