"`btvq.BTVQ` as a new user meets it: fit in raw units, features, tokens, save/load, a run's model, pipelines, bad input."
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

from btvq import BTVQ
from btvq.config import RunConfig
from btvq.data import load_ucr
from btvq.experiment import run
from btvq.models import build_model
from btvq.train import fit, load_model, prepare_data, seed_everything

torch.set_num_threads(1)  # tiny models: more threads only add overhead

TINY = dict(dim=8, n_codes=8, n_res=1, proj_hidden=32, proj_out=32)
UNITS = (300.0, 40.0)  # GunPoint (a dataset the study never used) in made-up units: 300 + 40 x


@pytest.fixture(scope="module")
def gp():
    d = load_ucr("GunPoint")
    return replace(d, x_train=UNITS[0] + UNITS[1] * d.x_train, x_test=UNITS[0] + UNITS[1] * d.x_test)


@pytest.fixture(scope="module")
def est(gp):
    return BTVQ(gamma=1, profile="smoke", progress=False, **TINY).fit(gp.x_train)


def test_fit_in_raw_units_features_tokens(est, gp):
    x_norm = prepare_data(gp)[0].x_test                                  # what a run's model sees
    assert est.norm_ == pytest.approx((gp.x_train.mean(), gp.x_train.std()), rel=1e-5)
    assert est.n_features_in_ == 150 and est.model_.projector is None and not est.model_.training
    ids = est.encode(gp.x_test)
    assert ids.shape == (150, *est.model_.grid) and ids.dtype == np.int64 and 0 <= ids.min() and ids.max() < 8
    with torch.no_grad():
        est.model_.raw_units = False
        try: want = est.model_.encode(torch.as_tensor(x_norm)).numpy()
        finally: est.model_.raw_units = True
    assert np.array_equal(ids, want)                                     # raw units in: the run's tokens
    shapes = {k: est.transform(gp.x_test, kind=k).shape for k in ("flat", "pooled", "tokens")}
    assert shapes == {"flat": (150, 8 * ids[0].size), "pooled": (150, 8), "tokens": (150, 5 * 8 + 64)}
    assert np.array_equal(est.transform(gp.x_test), est.transform(gp.x_test, kind="flat"))
    x_hat = est.decode(ids)
    assert x_hat.shape == (150, 150) and np.array_equal(x_hat, est.reconstruct(gp.x_test))
    assert abs(x_hat.mean() - UNITS[0]) < 0.5 * UNITS[1]                 # in the caller's units


def test_fit_is_a_run(gp):
    "The estimator trains exactly what `fit` trains on the same arrays with the profile's budget (probe off)."
    est = BTVQ(gamma=1, profile="smoke", progress=False, **TINY).fit(gp.x_train, X_eval=gp.x_test)
    cfg = est.run_config()
    seed_everything(0)
    model = build_model(cfg.model, 150)
    zeros = lambda x: np.zeros(len(x), np.int64)
    hist = fit(model, (gp.x_train, zeros(gp.x_train), gp.x_test, zeros(gp.x_test)), replace(cfg.train_config(50), probe=False))
    drop = ["wall_time", "eval_time"]
    pd.testing.assert_frame_equal(est.history_.drop(columns=drop), hist.drop(columns=drop), check_exact=True)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in est.model_.state_dict().items())


def test_input_forms_give_the_same_tokens(est, gp):
    x = gp.x_test[:20]
    ids = est.encode(x)
    for form in (x.astype(np.float64), torch.as_tensor(x), pd.DataFrame(x), x[:, None], x.tolist()):
        assert np.array_equal(est.encode(form), ids)


def test_save_load_same_tokens_small_file(est, gp, tmp_path):
    path = est.save(tmp_path / "m.btvq")
    ck = torch.load(path, weights_only=True)
    assert not any(k.startswith("projector.") for k in ck["model"]) and ck["norm"] == est.norm_
    assert path.stat().st_size < 200_000 and sorted(p.name for p in tmp_path.iterdir()) == ["m.btvq"]
    again = BTVQ.load(path, device="cpu")
    assert again.get_params() == {**est.get_params(), "device": "cpu"} and again.norm_ == est.norm_
    assert np.array_equal(again.encode(gp.x_test), est.encode(gp.x_test))
    assert np.array_equal(again.reconstruct(gp.x_test), est.reconstruct(gp.x_test))
    pd.testing.assert_frame_equal(again.history_, est.history_)
    torch.save({"w": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not written by BTVQ.save"): BTVQ.load(tmp_path / "other.pt")


def test_default_sizes_save_without_projector(tmp_path):
    "At the thesis's sizes the file holds a few MB, not the projector's hundreds."
    est = BTVQ(gamma=1, profile="smoke", progress=False)
    est._keep(build_model(est.run_config().model, 150), est.run_config(), pd.DataFrame())
    size = est.save(tmp_path / "m.btvq").stat().st_size
    assert size < 5e6, size
    assert BTVQ.load(tmp_path / "m.btvq").model_.projector is None


def test_failed_save_leaves_nothing(est, tmp_path, monkeypatch):
    path = est.save(tmp_path / "m.btvq")
    before = path.read_bytes()

    def broken(obj, f): f.write(b"half"); raise OSError("disk full")
    monkeypatch.setattr(torch, "save", broken)
    with pytest.raises(OSError, match="disk full"): est.save(path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["m.btvq"]


def test_from_run(gp, tmp_path):
    cfg = RunConfig.make("GunPoint", 1, " ".join(f"model.{k}={v}" for k, v in TINY.items()), profile="smoke",
                         device="cpu", out_dir=str(tmp_path), progress=False)
    res = run(cfg)
    est = BTVQ.from_run(res["run_dir"])
    assert est.config_.identity() == cfg.identity() and est.run_config().identity() == replace(cfg, dataset="X").identity()
    model = load_model(f"{res['run_dir']}/checkpoint.pt", raw_units=False)
    raw = load_ucr("GunPoint").x_test
    with torch.no_grad(): want = model.encode(torch.as_tensor(prepare_data(load_ucr("GunPoint"))[0].x_test)).numpy()
    assert np.array_equal(est.encode(raw), want)
    assert list(est.history_.step) == [2]
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no metrics.json and no checkpoint.pt"): BTVQ.from_run(tmp_path / "empty")


def test_pipeline_and_clone(gp):
    pipe = make_pipeline(BTVQ(gamma=1, profile="smoke", progress=False, **TINY), SVC(kernel="linear"))
    acc = pipe.fit(gp.x_train, gp.y_train).score(gp.x_test, gp.y_test)
    assert acc > np.bincount(gp.y_test).max() / len(gp.y_test)
    pipe.set_params(btvq__proj_hidden=64, btvq__lr=1e-4)                 # run settings as grid-search parameters
    est = pipe[0]
    assert est.get_params()["proj_hidden"] == 64 and est.run_config().train.lr == 1e-4
    twin = clone(est)
    assert twin.get_params() == est.get_params() and not hasattr(twin, "model_")


def test_settings_as_in_a_run():
    est = BTVQ(gamma=0, profile="smoke", seed=2, overrides="model.n_codes=16 train.lr=1e-4", n_codes=8,
               **{"model.aug.flip_p": 0.2})
    cfg = est.run_config()
    assert (cfg.gamma, cfg.seed, cfg.model.n_codes, cfg.train.lr, cfg.profile) == (0, 2, 8, 1e-4, "smoke")
    assert cfg.model.aug.flip_p == 0.5                                   # gamma = 0: no Barlow Twins views, default kept
    assert BTVQ(overrides={"proj_hidden": 256}).run_config().label == "gamma=1,proj_hidden=256"
    with pytest.raises(ValueError, match="unknown setting 'proj_hiden'"): BTVQ(proj_hiden=256).run_config()
    with pytest.raises(ValueError, match="profile must be one of"): BTVQ(profile="fast").run_config()


@pytest.mark.parametrize("bad, msg", [
    (lambda x: x[:, :100], "X has 100 features, but BTVQ is expecting 150"),
    (lambda x: np.where(np.arange(150) == 7, np.nan, x), "NaN or inf"),
    (lambda x: np.where(np.arange(150) == 7, np.inf, x), "NaN or inf"),
    (lambda x: x[0], "Reshape your data"),
    (lambda x: x[:0], "0 sample"),
    (lambda x: np.stack([x, x], 1), "2 channels"),
])
def test_bad_input_is_refused(est, gp, bad, msg):
    for method in (est.transform, est.encode, est.reconstruct):
        with pytest.raises(ValueError, match=msg): method(bad(gp.x_test))


def test_bad_ids_and_failed_fit_change_nothing(est, gp):
    ids = est.encode(gp.x_test[:3])
    with pytest.raises(ValueError, match=r"\[0, 8\)"): est.decode(ids + 8)
    with pytest.raises(ValueError, match=r"\[0, 8\)"): est.decode(ids - 1)
    with pytest.raises(ValueError, match=r"shape \(n, 5, "): est.decode(ids[0])
    with pytest.raises(ValueError, match="integers"): est.decode(ids.astype(float))
    model, state = est.model_, {k: v.clone() for k, v in est.model_.state_dict().items()}
    for X, msg in ((gp.x_train[:1], "at least 2"), (gp.x_train[:, :10], "minimum of 16"), (np.ones((5, 150)), "constant"),
                   (np.zeros((0, 150)), "0 sample")):
        with pytest.raises(ValueError, match=msg): est.fit(X)
    with pytest.raises(ValueError, match="X_eval has 100 features"): est.fit(gp.x_train, X_eval=gp.x_test[:, :100])
    assert est.model_ is model and all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
