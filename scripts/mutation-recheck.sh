#!/bin/sh
# Re-check some of mutmut's mutants against chosen test files, without a whole new run (which
# takes hours when a mutant reaches every request). Needs the mutants/ folder of an earlier
# `make mutation`; puts the current tests/ in it, checks the tests pass with no mutant, then runs
# them once per mutant with that mutant switched on.
#
#   sh scripts/mutation-recheck.sh "tests/test_deletions.py tests/test_api.py" kiosk.deletions.x_history__mutmut_4 ...
#
# Prints killed (a test failed), SURVIVES, TIMEOUT or ERROR for each. The mutants are of the
# rule modules as they were when mutmut made them: it warns when one has changed since, and then
# only a new `make mutation` checks the new code.
set -u
args="$1"; shift
root=$(cd "$(dirname "$0")/.." && pwd)
[ -d "$root/mutants" ] || { echo "no mutants/ folder: run make mutation first"; exit 2; }
for source in "$root"/kiosk/*.py; do
    copy="$root/mutants/kiosk/$(basename "$source")"
    if [ -f "$copy.meta" ] && [ "$source" -nt "$copy" ]; then
        echo "warning: kiosk/$(basename "$source") changed after its mutants were made"
    fi
done
rm -rf "$root/mutants/tests"
cp -r "$root/tests" "$root/mutants/tests"
cd "$root/mutants"
# shellcheck disable=SC2086  # $args is a list of pytest arguments
if ! MUTANT_UNDER_TEST= "$root/.venv/bin/python" -m pytest -x -q -p no:cacheprovider \
        -W ignore::DeprecationWarning $args > "$root/mutants/recheck-clean.log" 2>&1; then
    echo "the tests fail with no mutant: see mutants/recheck-clean.log"; exit 1
fi
for mutant in "$@"; do
    MUTANT_UNDER_TEST=$mutant timeout 300 "$root/.venv/bin/python" -m pytest -x -q \
        -p no:cacheprovider -W ignore::DeprecationWarning $args > /dev/null 2>&1
    case $? in
        0) echo "SURVIVES $mutant" ;;
        1) echo "killed   $mutant" ;;
        124) echo "TIMEOUT  $mutant" ;;
        *) echo "ERROR    $mutant (pytest could not run; try it by hand)" ;;
    esac
done
