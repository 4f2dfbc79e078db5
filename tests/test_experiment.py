"One run (btvq.experiment): its outputs, read-back when finished, force, resume, reproducibility, and the papermill notebook."
import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from btvq.experiment import OUTPUTS, Config, default_out_dir, run, run_dir

REPO = Path(__file__).parents[1]
ARCHIVE = Path(os.environ.get("BTVQ_UCR_DIR") or REPO / "../shared/ucr/UCRArchive_2018")
SLOW = os.environ.get("BTVQ_SLOW_TESTS") == "1"  # heavier checks (a real study dataset through papermill)


def smoke(tmp_path, **kwargs) -> Config:
    return Config(profile="smoke", device="cpu", out_dir=str(tmp_path), progress=False, **kwargs)


def without_times(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if k != "wall_time"}


def test_outputs_readback_and_force(tmp_path, monkeypatch):
    cfg = smoke(tmp_path, gamma=0)
    res = run(cfg)
    out = run_dir(cfg)
    assert out == tmp_path / "GunPoint" / "gamma=0" / "seed=0" / "smoke"
    assert sorted(os.listdir(out)) == sorted(OUTPUTS)
    saved = json.loads((out / "metrics.json").read_text())
    assert res == saved | dict(run_dir=str(out))
    p = saved["params"]
    assert (p["dataset"], p["gamma"], p["seed"], p["profile"], p["device"], p["model_class"]) == ("GunPoint", 0.0, 0, "smoke", "cpu", "VQVAE")
    assert (p["model"]["dim"], p["model"]["n_codes"], p["train"]["steps"], p["train"]["batch_size"]) == (64, 32, 2, 128)
    assert set(saved["env"]["packages"]) >= {"torch", "numpy", "scikit-learn", "pandas", "btvq"} and saved["env"]["device"]
    hist = pd.read_csv(out / "history.csv")
    assert saved["metrics"] == pytest.approx(hist.iloc[-1].to_dict())
    for k in ("val_recon", "flat/svm_acc", "flat/knn1_acc", "flat/knn10_acc", "pooled/svm_acc", "pooled/silhouette",
              "flat/intrinsic_dim", "entropy", "perplexity"):
        assert isinstance(saved["metrics"][k], float), k

    def no_training(*args, **kwargs): raise AssertionError("a finished run was trained again")
    monkeypatch.setattr("btvq.experiment.fit", no_training)
    mtime = (out / "metrics.json").stat().st_mtime_ns
    assert run(cfg) == res                                             # finished: read back
    assert (out / "metrics.json").stat().st_mtime_ns == mtime
    with pytest.raises(ValueError, match="another run"):               # the folder of another setting
        run(cfg, ema=True)
    monkeypatch.undo()

    (out / "stale.txt").write_text("kept")
    forced = run(cfg, force=True)                                      # trained again from scratch
    assert forced["finished"] >= res["finished"] and (out / "stale.txt").exists()
    assert without_times(forced["metrics"]) == without_times(res["metrics"])


def test_same_seed_same_metrics_on_cpu(tmp_path):
    a = run(smoke(tmp_path / "a", gamma=0.5))
    b = run(smoke(tmp_path / "b", gamma=0.5))
    assert a["params"]["model_class"] == "BTVQVAE"
    assert without_times(a["metrics"]) == without_times(b["metrics"])


def test_crashed_run_resumes_from_its_checkpoint(tmp_path, monkeypatch):
    cfg = smoke(tmp_path, gamma=0)

    def crash(*args, **kwargs): raise RuntimeError("crash after training")
    monkeypatch.setattr("btvq.experiment.save_figures", crash)
    with pytest.raises(RuntimeError, match="crash after training"):
        run(cfg)
    out = run_dir(cfg)
    assert {"checkpoint.pt", "history.csv"} <= set(os.listdir(out)) and not (out / "metrics.json").exists()
    before = pd.read_csv(out / "history.csv")
    monkeypatch.undo()
    res = run(cfg)                                                     # resumes the finished checkpoint: no new steps
    pd.testing.assert_frame_equal(pd.read_csv(out / "history.csv"), before)
    assert res["metrics"]["wall_time"] == pytest.approx(before["wall_time"].iloc[-1])


@pytest.mark.parametrize("kwargs, message", [
    (dict(dataset="GunPiont"), "did you mean GunPoint"), (dict(profile="huge"), "unknown profile"),
    (dict(gamma=-0.5), "gamma must be"), (dict(gamma=True), "gamma must be"), (dict(seed=-1), "seed must be"),
    (dict(seed="0"), "seed must be"), (dict(views="both"), "views must be"), (dict(device="cuda:x"), "bad device")])
def test_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Config(**kwargs)


def test_default_out_dir_is_the_repos_whatever_the_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert default_out_dir() == REPO / "outputs" / "runs"


def papermill(tmp_path, *params: str) -> subprocess.CompletedProcess:
    "The README's command, run from the repository root, with the runs written under `tmp_path`."
    cmd = [shutil.which("papermill"), "nbs/run_experiment.ipynb", str(tmp_path / "out.ipynb"), *params,
           "-p", "out_dir", str(tmp_path / "runs")]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)


def test_papermill_with_an_int_gamma(tmp_path):
    r = papermill(tmp_path, "-p", "dataset", "GunPoint", "-p", "gamma", "1", "-p", "profile", "smoke")
    assert r.returncode == 0, r.stderr[-3000:]
    metrics = json.loads((tmp_path / "runs/GunPoint/gamma=1/seed=0/smoke/metrics.json").read_text())
    assert (metrics["params"]["gamma"], metrics["params"]["model_class"]) == (1.0, "BTVQVAE")
    nb = json.loads((tmp_path / "out.ipynb").read_text())
    assert any("injected-parameters" in c["metadata"].get("tags", []) for c in nb["cells"])


@pytest.mark.skipif(not SLOW or not ARCHIVE.is_dir(), reason="set BTVQ_SLOW_TESTS=1 (and BTVQ_UCR_DIR) to run")
def test_papermill_readme_command_on_wafer(tmp_path, monkeypatch):
    monkeypatch.setenv("BTVQ_UCR_DIR", str(ARCHIVE))
    r = papermill(tmp_path, "-p", "dataset", "Wafer", "-p", "gamma", "0.5", "-p", "profile", "smoke")
    assert r.returncode == 0, r.stderr[-3000:]
    metrics = json.loads((tmp_path / "runs/Wafer/gamma=0.5/seed=0/smoke/metrics.json").read_text())
    assert (metrics["params"]["gamma"], metrics["params"]["data"]["n_test"]) == (0.5, 6164)
