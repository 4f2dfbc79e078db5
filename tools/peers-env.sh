#!/usr/bin/env bash
# Creates .venv-peers: the environment in which btvq.peers computes its two peers (MiniRocket from aeon, TS2Vec
# from the PyPI package ts2vec). aeon 1.6 needs numba<0.64, hence numpy<2.4, and pandas<3.1, which the study's own
# environment does not have; so the peers live apart, with btvq installed into them without its dependencies.
# Every version is pinned to what the cache in outputs/reference/peers was computed with (python 3.11).
# torch==2.13.0 must resolve to a CPU wheel (here: pip's find-links); an unpinned torch pulls a multi-GB CUDA build.
# Usage: bash tools/peers-env.sh [PYTHON]   then   .venv-peers/bin/python -m btvq.peers --help
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-peers
[ -x "$venv/bin/python" ] || "${1:-python3}" -m venv "$venv"
pip=("$venv/bin/pip" install --quiet --disable-pip-version-check)
"${pip[@]}" torch==2.13.0
"${pip[@]}" aeon==1.6.0 ts2vec==0.1 \
  numba==0.63.1 llvmlite==0.46.0 numpy==2.3.5 pandas==3.0.6 scipy==1.17.1 scikit-learn==1.9.1 \
  threadpoolctl==3.8.0 joblib==1.6.0 \
  bottleneck==1.6.1 \
  tqdm==4.70.1 matplotlib==3.11.2 \
  pytest==9.2.0 nbdev==2.4.14 "execnb<0.2" "fastcore<2" "ghapi<2"
# bottleneck: ts2vec.tasks (where upstream's fit_svm lives) imports it; the wheel does not declare it
"${pip[@]}" -e . --no-deps
"$venv/bin/python" - <<'PY'
from btvq.peers import PEERS, peer_versions, peers_available
assert peers_available(), "the peers' packages do not import"
print('peers environment ready:', {p: peer_versions(p) for p in PEERS})
PY
