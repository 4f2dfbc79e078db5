"One run (btvq.experiment): its outputs, read-back when finished, force, resume, reproducibility, and the papermill notebook."
import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from btvq.config import RunConfig, default_out_dir
from btvq.experiment import LOCK, OUTPUTS, run

REPO = Path(__file__).parents[1]
ARCHIVE = Path(os.environ.get("BTVQ_UCR_DIR") or "BTVQ_UCR_DIR is not set")     # the UCR archive root, if at hand
SLOW = os.environ.get("BTVQ_SLOW_TESTS") == "1"  # heavier checks (a real study dataset through papermill)


def smoke(tmp_path, **kwargs) -> RunConfig:
    return RunConfig.make(profile="smoke", device="cpu", out_dir=str(tmp_path), progress=False, **kwargs)


def without_times(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if k not in ("wall_time", "eval_time")}


def test_outputs_readback_and_force(tmp_path, monkeypatch):
    cfg = smoke(tmp_path, gamma=0)
    res = run(cfg)
    out = cfg.run_dir
    assert out == tmp_path / "GunPoint" / "gamma=0" / "seed=0" / "smoke"
    assert sorted(set(os.listdir(out)) - {LOCK}) == sorted(OUTPUTS)   # and the folder's lock file
    saved = json.loads((out / "metrics.json").read_text())
    assert res == saved | dict(run_dir=str(out))
    p = saved["params"]
    assert (p["dataset"], p["gamma"], p["seed"], p["profile"], p["device"], p["model_class"]) == ("GunPoint", 0.0, 0, "smoke", "cpu", "VQVAE")
    assert (p["model"]["dim"], p["model"]["n_codes"], p["fit"]["steps"], p["train"]["batch_size"]) == (64, 32, 2, 128)
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
    (out / "metrics.json").write_text(json.dumps(saved | dict(params=p | dict(model=p["model"] | dict(ema=True)))))
    with pytest.raises(ValueError, match="another run"):               # the folder holds another setting
        run(cfg)
    (out / "metrics.json").write_text(json.dumps(saved))
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
    out = cfg.run_dir
    assert {"checkpoint.pt", "history.csv"} <= set(os.listdir(out)) and not (out / "metrics.json").exists()
    before = pd.read_csv(out / "history.csv")
    monkeypatch.undo()
    res = run(cfg)                                                     # resumes the finished checkpoint: no new steps
    pd.testing.assert_frame_equal(pd.read_csv(out / "history.csv"), before)
    assert res["metrics"]["wall_time"] == pytest.approx(before["wall_time"].iloc[-1])


@pytest.mark.parametrize("kwargs, message", [
    (dict(profile="huge"), "profile must be one of"), (dict(gamma=-0.5), "gamma must be"),
    (dict(gamma=True), "gamma must be"), (dict(seed=-1), "seed must be"), (dict(seed="0"), "seed must be"),
    (dict(overrides="model.recon=both"), "recon must be"), (dict(device="cuda:x"), "bad device"),
    (dict(overrides="model.width=8"), "valid keys: model.dim")])
def test_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RunConfig.make(**kwargs)


def test_unknown_dataset_suggests_names(tmp_path):
    with pytest.raises(ValueError, match="did you mean GunPoint"):
        run(smoke(tmp_path, dataset="GunPiont"))


def test_custom_dataset_in_ucr_layout(tmp_path):
    "A folder <root>/<Name>/<Name>_TRAIN.tsv, _TEST.tsv with a name outside the archive runs like any other."
    import numpy as np
    rng = np.random.default_rng(0)
    (tmp_path / "data/MySensors").mkdir(parents=True)
    for split, n in (("TRAIN", 20), ("TEST", 16)):
        y = np.arange(n) % 2 + 1
        x = np.sin(np.linspace(0, 6, 64) * y[:, None]) + 0.1 * rng.standard_normal((n, 64))
        np.savetxt(tmp_path / f"data/MySensors/MySensors_{split}.tsv", np.c_[y, x], delimiter="\t", fmt="%.5f")
    res = run(smoke(tmp_path / "runs", dataset="MySensors", data_root=str(tmp_path / "data")))
    assert res["params"]["data"] == dict(n_train=20, n_test=16, length=64, n_classes=2)
    assert (tmp_path / "runs/MySensors/gamma=0/seed=0/smoke/metrics.json").exists()


def test_default_out_dir_is_the_repos_whatever_the_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert default_out_dir() == REPO / "outputs" / "runs"


def papermill(tmp_path, *params: str) -> subprocess.CompletedProcess:
    "The README's command, run from the repository root, with the runs written under `tmp_path`."
    cmd = [shutil.which("papermill"), "nbs/run_experiment.ipynb", str(tmp_path / "out.ipynb"), *params,
           "-p", "out_dir", str(tmp_path / "runs")]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)


def test_papermill_with_an_int_gamma_and_overrides(tmp_path):
    r = papermill(tmp_path, "-p", "dataset", "GunPoint", "-p", "gamma", "1", "-p", "profile", "smoke",
                  "-p", "overrides", "model.proj_hidden=256")
    assert r.returncode == 0, r.stderr[-3000:]
    # a successful run logs no error; the kernel's own shutdown log is not the run's (jupyter_client interrupts
    # the kernel before shutting it down, and ipykernel may log that interrupt as an ERROR line)
    errors = [line for line in r.stderr.splitlines() if "ERROR" in line and "[IPKernelApp]" not in line]
    assert not errors, r.stderr[-3000:]
    metrics = json.loads((tmp_path / "runs/GunPoint/gamma=1,proj_hidden=256/seed=0/smoke/metrics.json").read_text())
    p = metrics["params"]
    assert (p["gamma"], p["model_class"], p["model"]["proj_hidden"], p["label"]) == (1.0, "BTVQVAE", 256, "gamma=1,proj_hidden=256")
    nb = json.loads((tmp_path / "out.ipynb").read_text())
    assert any("injected-parameters" in c["metadata"].get("tags", []) for c in nb["cells"])
    assert not [o for c in nb["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]


def test_papermill_bad_override_fails_before_any_work(tmp_path):
    r = papermill(tmp_path, "-p", "profile", "smoke", "-p", "overrides", "model.proj_width=256")
    assert r.returncode != 0 and "unknown override key 'model.proj_width'" in r.stderr + r.stdout
    assert "valid keys: model.dim" in r.stderr + r.stdout
    assert not (tmp_path / "runs").exists()


@pytest.mark.skipif(not SLOW or not ARCHIVE.is_dir(), reason="set BTVQ_SLOW_TESTS=1 (and BTVQ_UCR_DIR) to run")
def test_papermill_readme_command_on_wafer(tmp_path, monkeypatch):
    monkeypatch.setenv("BTVQ_UCR_DIR", str(ARCHIVE))
    r = papermill(tmp_path, "-p", "dataset", "Wafer", "-p", "gamma", "0.5", "-p", "profile", "smoke")
    assert r.returncode == 0, r.stderr[-3000:]
    metrics = json.loads((tmp_path / "runs/Wafer/gamma=0.5/seed=0/smoke/metrics.json").read_text())
    assert (metrics["params"]["gamma"], metrics["params"]["data"]["n_test"]) == (0.5, 6164)
