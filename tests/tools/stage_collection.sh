#!/usr/bin/env bash
# Sourced by tests/tools/ansible_test.sh and tests/tools/lint.sh: copy the collection's files (tracked and
# untracked-but-not-ignored; without virtualenvs, build and test output, caches) to DEST, which ends in
# ansible_collections/<namespace>/<name>, the layout ansible-test, antsibull-docs and galaxy-importer need.

stage_collection() {
    local root=$1 dest=$2
    local excluded='^(\.git|\.venv[^/]*|venv|\.tox|\.nox|build|dist|tests/output|\.ansible)(/|$)|(^|/)(__pycache__|\.pytest_cache|\.mypy_cache)(/|$)|\.py[co]$|^hostcraft-cloud-.*\.tar\.gz$'
    mkdir -p -- "${dest}"
    {
        if git -C "${root}" rev-parse --is-inside-work-tree > /dev/null 2>&1; then
            git -C "${root}" ls-files -z --cached --others --exclude-standard
        else
            (cd -- "${root}" && find . \( -type f -o -type l \) -printf '%P\0')
        fi
    } \
        | grep -zEv -- "${excluded}" \
        | while IFS= read -r -d '' path; do
            # skip files deleted from the work tree but still in the index
            if [[ -e "${root}/${path}" || -L "${root}/${path}" ]]; then
                printf '%s\0' "${path}"
            fi
        done \
        | tar -C "${root}" --null --no-recursion -T - -cf - \
        | tar -C "${dest}" -xf -
}
