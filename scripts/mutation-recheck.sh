#!/bin/sh
# Re-check some of mutmut's mutants against chosen test files, without a whole new run (which
# takes hours when a mutant reaches every request). Needs the mutants/ folder of an earlier
# `make mutation`; copies tests/ into it, checks the tests pass with no mutant, then runs them once
# per mutant with that mutant switched on.
#
#   sh scripts/mutation-recheck.sh "tests/test_deletions.py tests/test_api.py" kiosk.deletions.x_history__mutmut_4 ...
#
# Prints "killed" or "SURVIVES" for each. Only modules listed in only_mutate are mutated in
# mutants/; copy any other changed source file there first (mutmut does on its next run).
set -u
args="$1"; shift
root=$(cd "$(dirname "$0")/.." && pwd)
[ -d "$root/mutants" ] || { echo "no mutants/ folder: run make mutation first"; exit 2; }
cp -r "$root/tests/." "$root/mutants/tests/"
cd "$root/mutants"
# shellcheck disable=SC2086  # $args is a list of pytest arguments
if ! MUTANT_UNDER_TEST= "$root/.venv/bin/python" -m pytest -x -q -p no:cacheprovider \
        -W ignore::DeprecationWarning $args > "$root/mutants/recheck-clean.log" 2>&1; then
    echo "the tests fail with no mutant: see mutants/recheck-clean.log"; exit 1
fi
for mutant in "$@"; do
    if MUTANT_UNDER_TEST=$mutant timeout 300 "$root/.venv/bin/python" -m pytest -x -q \
            -p no:cacheprovider -W ignore::DeprecationWarning $args > /dev/null 2>&1; then
        echo "SURVIVES $mutant"
    else
        echo "killed   $mutant"
    fi
done
