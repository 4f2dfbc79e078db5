"""The probe's linear SVM reaches its tolerance where the former solver (libsvm, capped at 10^5 steps) stopped early."""
import os
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.svm import SVC

from btvq.data import load_ucr
from btvq.probe import fit_linear_svm, linear_svm, probe_series


def objective(x, y, w, b, C=1.0):
    "Primal objective of the binary linear SVM at (w, b)."
    return w @ w / 2 + C * np.maximum(0, 1 - y * (x @ w + b)).sum()


def hard_case(seed=1):
    "Overlapping classes with |x|^2 around 2 000, as for flat latents: libsvm needs ~4 * 10^5 steps."
    g = np.random.default_rng(seed)
    x, y = 10 * g.standard_normal((200, 20)), np.where(g.random(200) < 0.4, 1.0, -1.0)
    x[:, 0] += 10 * y
    return x, y


def test_old_solver_stops_early_new_converges():
    x, y = hard_case()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always', ConvergenceWarning)
        old = SVC(kernel='precomputed', max_iter=100_000).fit(x @ x.T, y)
    assert any(issubclass(c.category, ConvergenceWarning) for c in caught)
    ref = SVC(kernel='linear', tol=1e-8, max_iter=-1).fit(x, y)              # libsvm run to the end
    upper = objective(x, y, ref.coef_[0], ref.intercept_[0])                 # its primal and dual values
    lower = np.abs(ref.dual_coef_).sum() - ref.coef_[0] @ ref.coef_[0] / 2   # bound the optimum
    assert objective(x, y, x[old.support_].T @ old.dual_coef_[0], old.intercept_[0]) > upper * (1 + 1e-4)
    w, b, steps, gap = fit_linear_svm(x, y)
    assert gap <= 1e-6 and steps < 30
    assert lower <= objective(x, y, w, b) <= upper and objective(x, y, w, b) - lower <= 1e-6 * lower
    m = linear_svm(x, y, x, y)
    assert m['svm_converged'] == 1.0 and m['svm_iter'] < 30


def test_unfinished_fit_is_reported():
    x, y = hard_case()
    assert linear_svm(x, y, x, y, max_iter=3)['svm_converged'] == 0.0


def test_raw_series_converge():
    d = load_ucr('GunPoint').normalized()[0]
    m = probe_series(d.x_train, d.y_train, d.x_test, d.y_test, n_kmeans=1)
    assert m['raw/svm_converged'] == 1.0 and 0.8 < m['raw/svm_acc'] <= 1


@pytest.mark.skipif(not os.environ.get('BTVQ_UCR_DIR'), reason='needs the UCR archive in $BTVQ_UCR_DIR')
def test_raw_fordA_converges():
    "FordA's raw series stopped libsvm at its cap (0.4750); the optimum at C = 1 scores 0.4742."
    try: d = load_ucr('FordA', download=False).normalized()[0]
    except FileNotFoundError: pytest.skip('FordA is not in $BTVQ_UCR_DIR')
    m = probe_series(d.x_train, d.y_train, d.x_test, d.y_test, n_kmeans=1)
    assert m['raw/svm_converged'] == 1.0 and abs(m['raw/svm_acc'] - 0.4742) < 0.002
