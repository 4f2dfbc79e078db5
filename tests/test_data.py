"""The study datasets load from the real archive with their official shapes, verified (btvq.data)."""
import os
from pathlib import Path

import numpy as np
import pytest

from btvq.data import STUDY_SHAPES, _known_sums, load_ucr

ARCHIVE = Path(os.environ.get("BTVQ_UCR_DIR") or "BTVQ_UCR_DIR is not set")     # the UCR archive root, if at hand

SHAPES = {**STUDY_SHAPES, "GunPoint": (50, 150, 150, 2)}  # name: (train, test, length, classes)


@pytest.mark.skipif(not ARCHIVE.is_dir(), reason=f"no UCR archive at {ARCHIVE} (set BTVQ_UCR_DIR)")
@pytest.mark.parametrize("name", SHAPES)
def test_archive_dataset(name):
    n_train, n_test, length, k = SHAPES[name]
    assert all(f"{name}/{name}_{s}.tsv" in _known_sums() for s in ("TRAIN", "TEST"))  # so it is verified
    data = load_ucr(name, root=ARCHIVE, download=False)  # verifies sha256, raises on NaN
    assert data.x_train.shape == (n_train, length) and data.x_test.shape == (n_test, length)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    labels = [-1, 1] if name in ("Wafer", "FordA", "FordB") else list(range(1, k + 1))
    assert data.classes.tolist() == labels
    assert set(np.unique(data.y_train)) == set(range(k)) and set(np.unique(data.y_test)) <= set(range(k))
    assert np.isfinite(data.x_train).all() and np.isfinite(data.x_test).all()
