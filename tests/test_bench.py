"The benchmark's command line (btvq.bench) in its seconds-long smoke mode: it runs and writes complete results."
import json
import subprocess
import sys
from pathlib import Path

ROW_FIELDS = {"length", "model", "batch", "step_s", "step_iqr_s", "samples_per_s", "gflop", "gflops", "peak_gflops",
              "pct_peak", "x_limit", "eval_s", "peak_mem_mb", "load_avg", "threads"}


def test_smoke_cli(tmp_path):
    res = subprocess.run([sys.executable, "-m", "btvq.bench", "--smoke", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    files = sorted(p.name for p in Path(tmp_path).iterdir())
    assert len(files) == 2 and files[0].endswith("-smoke.json") and files[1].endswith("-smoke.md")
    out = json.loads((tmp_path / files[0]).read_text())
    assert {"cpu", "cpu_count", "torch_threads", "torch", "load_avg", "load_avg_end"} <= set(out["machine"])
    assert out["peaks"]["fp32"] > 0 and out["peaks"]["bf16"] > 0
    assert [(r["model"], r["length"]) for r in out["rows"]] == [("VQVAE", 64), ("BTVQVAE", 64)]
    for r in out["rows"]:
        assert ROW_FIELDS <= set(r)
        assert r["step_s"] > 0 and r["gflop"] > 0 and 0 < r["pct_peak"] and r["peak_mem_mb"] > 0
    assert out["rows"][1]["gflop"] > out["rows"][0]["gflop"]  # the BT-VQVAE does more work
    assert set(out["probe"]["tiny"]["seconds"]) == {"flat", "pooled"}
    assert "| 64 | BTVQVAE |" in (tmp_path / files[1]).read_text()
    assert "| 64 | VQVAE |" in res.stdout
