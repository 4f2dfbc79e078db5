"The benchmark's command line (btvq.bench) in its seconds-long smoke mode: it runs and writes complete results."
import json
import subprocess
import sys
from pathlib import Path

ROW_FIELDS = {"length", "model", "variant", "decoder", "batch", "step_s", "step_iqr_s", "samples_per_s", "gflop",
              "gflops", "peak_gflops", "pct_peak", "x_limit", "cpu_step_s", "x_limit_cpu", "eval_s", "peak_mem_mb",
              "load_avg", "threads"}


def test_smoke_cli(tmp_path):
    res = subprocess.run([sys.executable, "-m", "btvq.bench", "--smoke", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    files = sorted(p.name for p in Path(tmp_path).iterdir())
    assert len(files) == 2 and files[0].endswith("-smoke.json") and files[1].endswith("-smoke.md")
    out = json.loads((tmp_path / files[0]).read_text())
    assert {"cpu", "cpu_count", "torch_threads", "torch", "load_avg", "load_avg_end"} <= set(out["machine"])
    assert out["peaks"]["fp32"] > 0 and out["peaks"]["bf16"] > 0
    assert [(r["model"], r["variant"], r["decoder"]) for r in out["rows"]] == [
        ("VQVAE", "stock", "thesis"), ("VQVAE", "fast", "thesis"), ("VQVAE", "fast", "authors"),
        ("BTVQVAE", "stock", "thesis"), ("BTVQVAE", "fast", "thesis"), ("BTVQVAE", "fast", "authors")]
    for r in out["rows"]:
        assert ROW_FIELDS <= set(r) and r["length"] == 64
        assert r["step_s"] > 0 and r["gflop"] > 0 and 0 < r["pct_peak"] and r["peak_mem_mb"] > 0
    gflop = {(r["model"], r["variant"], r["decoder"]): r["gflop"] for r in out["rows"]}
    assert gflop["BTVQVAE", "fast", "thesis"] > gflop["VQVAE", "fast", "thesis"]        # the BT-VQVAE does more work
    assert gflop["VQVAE", "stock", "thesis"] == gflop["VQVAE", "fast", "thesis"]        # the same work, done faster
    assert gflop["VQVAE", "fast", "authors"] < gflop["VQVAE", "fast", "thesis"]         # no 64-channel full-width stage
    assert set(out["probe"]["tiny"]["seconds"]) == {"flat", "pooled"}
    md = (tmp_path / files[1]).read_text()
    assert "| 64 | BTVQVAE |" in md and "speed-up fast/stock" in md and "Decoder layouts" in md
    assert "| 64 | VQVAE |" in res.stdout


def test_gpu_study_smoke(tmp_path):
    "The GPU study's whole path on a CPU: benchmark, cell selection, a packed sweep (2 runs at a time), its summary."
    cmd = [sys.executable, "-m", "btvq.bench", "--gpu-study", "--smoke", "--profile", "smoke", "--out", str(tmp_path),
           "--datasets", "GunPoint", "--gammas", "0", "1", "--jobs", "2", "--decoders", "thesis",
           "--no-probe"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    study = json.loads((tmp_path / "study.json").read_text())
    assert study["profile"] == "smoke" and study["jobs"] == 2
    assert [(c["dataset"], c["gamma"]) for c in study["cells"]] == [("GunPoint", 0), ("GunPoint", 1)]
    assert [r["status"] for r in study["runs"]] == ["done", "done"]
    for g in ("0", "1"):
        assert (tmp_path / "runs" / "GunPoint" / f"gamma={g}" / "seed=0" / "smoke" / "metrics.json").exists()
    assert len(list((tmp_path / "bench").glob("bench-*-smoke.json"))) == 1
    assert "| GunPoint | 1 | 2 | 1 |" in (tmp_path / "study.md").read_text()
