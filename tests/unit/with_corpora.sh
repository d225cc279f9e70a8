#!/usr/bin/env bash
# Runs the unit test cases tagged [corpora] (they read the shared corpora, which are not in
# this repository) as the ctest test unit/corpora, or skips it (exit 77, SKIP_RETURN_CODE)
# with the reason when the corpora are missing, as in a clone of the project alone.
# Usage: with_corpora.sh DEFAULT-CORPORA-DIR UNIT-TEST-BINARY
set -euo pipefail
corpora=${CBKIT_CORPORA:-$1}
for sub in email dkim-dkimpy; do
  if [[ ! -d $corpora/$sub ]]; then
    echo "SKIP: unit/corpora: corpora not found at $corpora (no $sub/; put ../shared beside the project or set CBKIT_CORPORA)" >&2
    exit 77
  fi
done
export CBKIT_CORPORA=$corpora
exec "$2" "[corpora]"
