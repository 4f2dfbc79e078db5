#!/usr/bin/env bash
# Run every test: the notebooks' own tests (nbdev_test) and tests/ (pytest); print one closing count.
set -u
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg
log=$(mktemp -d)
outputs_before=$(git status --porcelain --untracked-files=all -- outputs 2>/dev/null)   # tests must not write there
# two notebooks run at once, so each torch gets one thread (no oversubscription on 2 cores)

OMP_NUM_THREADS=1 nbdev_test --timing --n_workers "${NB_WORKERS:-2}" 2>&1 | tee "$log/nb.txt"
nb_rc=${PIPESTATUS[0]}
nb_total=$(python - <<'PY'
from nbdev.doclinks import nbglob
from nbdev.test import _keep_file
print(sum(_keep_file(f, '.notest') for f in nbglob(as_path=True)))
PY
)
nb_failed=$(sed -n '/nbdev Tests Failed On The Following Notebooks/,$p' "$log/nb.txt" | grep -c $'^\t')
[ "$nb_rc" -ne 0 ] && [ "$nb_failed" -eq 0 ] && nb_failed=$nb_total   # crashed before reporting

python -m pytest tests/ -q -p no:cacheprovider 2>&1 | tee "$log/py.txt"
py_rc=${PIPESTATUS[0]}
last=$(grep -E '[0-9]+ (passed|failed|error)' "$log/py.txt" | tail -1)
count() { echo "$last" | grep -oE "[0-9]+ $1" | grep -oE '[0-9]+' || echo 0; }
py_passed=$(count passed); py_failed=$(( $(count failed) + $(count error) ))
[ "$py_rc" -eq 5 ] && py_rc=0                                          # no pytest tests collected
[ "$py_rc" -ne 0 ] && [ "$py_failed" -eq 0 ] && py_failed=1             # crashed before reporting

# the peers' own checks, in their environment (`bash tools/peers-env.sh`; CI makes it): skipped where it is absent
pe_passed=0; pe_failed=0
if [ -x .venv-peers/bin/python ]; then
  OMP_NUM_THREADS=1 .venv-peers/bin/python -m pytest tests/test_peers.py -q -p no:cacheprovider 2>&1 | tee "$log/pe.txt"
  pe_rc=${PIPESTATUS[0]}
  last=$(grep -E '[0-9]+ (passed|failed|error)' "$log/pe.txt" | tail -1)
  pe_passed=$(count passed); pe_failed=$(( $(count failed) + $(count error) ))
  [ "$pe_rc" -ne 0 ] && [ "$pe_failed" -eq 0 ] && pe_failed=1
else
  echo "peers' environment absent (.venv-peers): their checks were skipped; make it with: bash tools/peers-env.sh"
fi

out_failed=0
if [ "$(git status --porcelain --untracked-files=all -- outputs 2>/dev/null)" != "$outputs_before" ]; then
  echo "the tests wrote into outputs/ (they must use temporary folders):"; git status --short -- outputs; out_failed=1
fi
passed=$(( nb_total - nb_failed + py_passed + pe_passed )); failed=$(( nb_failed + py_failed + pe_failed + out_failed ))
echo "notebooks: $((nb_total - nb_failed)) passed, $nb_failed failed; pytest: $py_passed passed, $py_failed failed; peers' environment: $pe_passed passed, $pe_failed failed"
echo "$passed passed, $failed failed"
rm -rf "$log"
[ "$nb_rc" -eq 0 ] && [ "$py_rc" -eq 0 ] && [ "$pe_failed" -eq 0 ] && [ "$out_failed" -eq 0 ]
