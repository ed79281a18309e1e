#!/usr/bin/env bash
# Run the test suite once per Keras backend (jax, tensorflow, torch).
# Usage: bash tools/test_all_backends.sh [extra pytest args]
# Set BACKENDS="jax torch" to run a subset; slow tests are skipped unless you pass -m slow.
set -u
cd "$(dirname "$0")/.."
backends=${BACKENDS:-"jax tensorflow torch"}
status=0
summary=()
for backend in $backends; do
  echo "=== KERAS_BACKEND=$backend ==="
  KERAS_BACKEND=$backend python3 -m pytest -q -m "not slow" -p no:cacheprovider "$@"
  rc=$?
  # pytest exit code 5 means no tests were collected: not a failure of the code.
  if [ $rc -eq 5 ]; then rc=0; fi
  summary+=("$backend: exit $rc")
  [ $rc -ne 0 ] && status=1
done
echo "=== summary ==="
printf '%s\n' "${summary[@]}"
exit $status
