"The sweep (btvq.sweep): runs through papermill, skips finished runs, records failures and goes on, resumes after a kill."
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

from btvq.sweep import main, sweep

REPO = Path(__file__).parents[1]
TINY = dict(datasets=["GunPoint"], profile="smoke")


def folder(root: Path, gamma: str, profile: str = "smoke") -> Path:
    return root / "GunPoint" / f"gamma={gamma}" / "seed=0" / profile


def test_inline_sweep_then_nothing_to_do(tmp_path, monkeypatch):
    res = sweep(gammas=[0, 0.5], out_dir=str(tmp_path), **TINY)
    assert list(res.status) == ["done", "done"]
    for g in ("0", "0.5"):
        assert {"metrics.json", "run.ipynb", "history.csv"} <= set(os.listdir(folder(tmp_path, g)))
    assert json.loads((folder(tmp_path, "0.5") / "metrics.json").read_text())["params"]["model_class"] == "BTVQVAE"

    def no_papermill(*args, **kwargs): raise AssertionError("papermill started for a finished run")
    monkeypatch.setattr(papermill, "execute_notebook", no_papermill)
    t = time.perf_counter()
    res = sweep(gammas=[0, 0.5], out_dir=str(tmp_path), **TINY)
    assert list(res.status) == ["skipped", "skipped"] and time.perf_counter() - t < 5

    before = json.loads((folder(tmp_path, "0") / "metrics.json").read_text())
    res = sweep(gammas=[0, 0.5, 1], out_dir=str(tmp_path), reevaluate=True, **TINY)  # gamma=1 never ran: left alone
    assert list(res.status) == ["reevaluated", "reevaluated"] and not folder(tmp_path, "1").exists()
    after = json.loads((folder(tmp_path, "0") / "metrics.json").read_text())
    # same code: the same final evaluation, up to float sums in another thread count (an earlier test may set torch's)
    assert after["metrics"] == pytest.approx(before["metrics"], rel=1e-6) and "reevaluated" in after


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path, monkeypatch, capsys):
    calls = []

    def fake(nb, out, parameters, **kwargs):                           # no kernel: gamma 2 fails as a cell would
        calls.append(parameters["gamma"])
        if parameters["gamma"] == 2:
            raise PapermillExecutionError(1, 1, "run(...)", "ValueError", "seed must be an integer >= 0, got -1",
                                          ["\x1b[31mValueError\x1b[0m Traceback (most recent call last)", "  in run"])
        metrics = folder(tmp_path, "0") / "metrics.json"
        metrics.write_text("{}")
    monkeypatch.setattr(papermill, "execute_notebook", fake)
    argv = ["--datasets", "GunPoint", "--gammas", "2", "0", "--profile", "smoke", "--out-dir", str(tmp_path)]
    assert main(argv) == 1                                             # exit status: a run failed
    assert calls == [2.0, 0.0]                                         # the failure did not stop the sweep
    failure = json.loads((folder(tmp_path, "2") / "failure.json").read_text())
    assert failure["error"] == "ValueError: seed must be an integer >= 0, got -1"
    assert failure["traceback"] == "ValueError Traceback (most recent call last)\n  in run"  # colour codes gone
    assert failure["params"]["gamma"] == 2.0
    out = capsys.readouterr().out
    assert "[1/2] GunPoint gamma=2 seed=0: failed" in out and "1 failed" in out and "[2/2] GunPoint gamma=0 seed=0: done" in out

    calls.clear()
    assert main(argv) == 1                                             # again: only the failed run is retried
    assert calls == [2.0]


def test_a_run_failing_in_its_kernel_is_recorded(tmp_path):
    res = sweep(gammas=[0], out_dir=str(tmp_path), data_root=str(tmp_path / "no-such-folder"), **TINY)
    assert list(res.status) == ["failed"]
    failure = json.loads((folder(tmp_path, "0") / "failure.json").read_text())
    assert failure["error"].startswith("FileNotFoundError") and "no-such-folder" in failure["error"]
    assert "load_ucr" in failure["traceback"]
    assert (folder(tmp_path, "0") / "run.ipynb").exists()             # the executed notebook, with the error


def test_local_executor_runs_jobs_in_parallel(tmp_path):
    res = sweep(gammas=[0], seeds=[0, 1], out_dir=str(tmp_path), executor="local", jobs=2, poll=0.2, **TINY)
    assert list(res.status) == ["done", "done"], res.error.tolist()
    assert all((tmp_path / f"GunPoint/gamma=0/seed={s}/smoke/metrics.json").exists() for s in (0, 1))
    assert list((tmp_path / ".submitit").iterdir())                  # submitit's job logs


def test_cli_dry_run_and_errors(tmp_path, capsys):
    assert main(["--datasets", "GunPoint", "--gammas", "0", "1", "--out-dir", str(tmp_path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "2 runs (study profile): 0 finished, 2 to do; projected" in out and not list(tmp_path.iterdir())
    with pytest.raises(SystemExit, match="unknown UCR dataset 'Gunpont'"):
        main(["--datasets", "Gunpont", "--dry-run"])
    r = subprocess.run([sys.executable, "-m", "btvq.sweep", "--datasets", "GunPoint", "--gammas", "0", "--dry-run",
                        "--out-dir", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "1 runs (study profile)" in r.stdout, r.stderr


def children(pid: int) -> list[int]:
    "Ids of the processes whose parent is `pid` (Linux /proc)."
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try: fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError: continue
        if int(fields[1]) == pid: kids.append(int(stat.parent.name))
    return kids


@pytest.mark.skipif(os.environ.get("BTVQ_SLOW_TESTS") != "1", reason="slow (a 30-step run): set BTVQ_SLOW_TESTS=1")
def test_killed_sweep_resumes_from_the_checkpoint(tmp_path):
    cmd = [sys.executable, "-m", "btvq.sweep", "--datasets", "GunPoint", "--gammas", "0", "--profile", "demo",
           "--out-dir", str(tmp_path)]
    run = folder(tmp_path, "0", "demo")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while not (run / "checkpoint.pt").exists():                       # first checkpoint: step 10 of 30
        assert proc.poll() is None, proc.stdout.read().decode()
        assert time.monotonic() < deadline, "no checkpoint after 300 s"
        time.sleep(0.05)
    for pid in children(proc.pid) + [proc.pid]:                       # the kernel (own session) and the sweep
        os.kill(pid, signal.SIGKILL)
    proc.wait()
    time.sleep(0.5)
    before = pd.read_csv(run / "history.csv")
    assert not (run / "metrics.json").exists() and len(before) < 3

    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)  # the same command again
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    after = pd.read_csv(run / "history.csv")
    assert list(after.epoch) == [10, 20, 30]
    pd.testing.assert_frame_equal(after.iloc[:len(before)], before)   # same rows, same wall times: resumed, not restarted


def test_set_sweeps_a_model_field(tmp_path):
    argv = ["--datasets", "GunPoint", "--gammas", "1", "--set", "model.proj_hidden=32,64", "--profile", "smoke",
            "--out-dir", str(tmp_path)]
    assert main(argv) == 0
    for width in (32, 64):
        m = json.loads((tmp_path / f"GunPoint/gamma=1,proj_hidden={width}/seed=0/smoke/metrics.json").read_text())
        assert m["params"]["model"]["proj_hidden"] == width
