"Kill a training run with SIGKILL once it has checkpointed, resume it, and check it ends as an uninterrupted run."
import os
import runpy
import signal
import subprocess
import sys
import time

import pandas as pd
import torch

from btvq.train import load_checkpoint, load_model

# A small VQ-VAE on GunPoint: 50 training series, batch 16 -> 3 steps per epoch.
SCRIPT = '''
import sys
import torch
from btvq.data import load_ucr
from btvq.models import VQVAE
from btvq.train import TrainConfig, fit, seed_everything

torch.set_num_threads(1)  # small model: more threads only add overhead
CFG = TrainConfig(batch_size=16, epochs={epochs}, eval_every={eval_every}, checkpoint_every=2, probe=False, progress=False)

def main(out_dir, resume=False):
    seed_everything(0)
    return fit(VQVAE(150, dim=8, n_codes=8, n_res=1, ema=True), load_ucr('GunPoint'), CFG, out_dir, resume=resume)

if __name__ == '__main__':
    main(sys.argv[1], resume=sys.argv[2] == 'resume')
'''
EPOCHS, EVAL_EVERY, STEPS_PER_EPOCH = 25, 10, 3


def launch(script, out, mode):
    return subprocess.Popen([sys.executable, str(script), str(out), mode], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_kill_and_resume(tmp_path):
    script, out, ref = tmp_path / 'train_run.py', tmp_path / 'run', tmp_path / 'ref'
    script.write_text(SCRIPT.format(epochs=EPOCHS, eval_every=EVAL_EVERY))
    total = EPOCHS * STEPS_PER_EPOCH

    proc = launch(script, out, 'fresh')
    deadline = time.monotonic() + 120
    while not (out / 'checkpoint.pt').exists():
        assert proc.poll() is None, f"run ended before its first checkpoint:\n{proc.stdout.read().decode()}"
        assert time.monotonic() < deadline, "no checkpoint after 120 s"
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    killed_at = load_checkpoint(out / 'checkpoint.pt')['state']['step']
    assert 0 < killed_at < total, killed_at                                # really interrupted mid-run
    (out / '.checkpoint.pt.killed.tmp').write_bytes(b'half a checkpoint')  # what a kill during a write leaves

    proc = launch(script, out, 'resume')                                   # resume in a fresh process
    threads = torch.get_num_threads()
    try:
        runpy.run_path(str(script))['main'](ref)                           # meanwhile: uninterrupted reference
    finally:
        torch.set_num_threads(threads)
    assert proc.wait(timeout=120) == 0, proc.stdout.read().decode()

    ck = load_checkpoint(out / 'checkpoint.pt')
    assert (ck['state']['step'], ck['state']['epoch']) == (total, EPOCHS)
    model, ref_model = load_model(out / 'checkpoint.pt'), load_model(ref / 'checkpoint.pt')
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), ref_model.state_dict().values()))
    hist = pd.read_csv(out / 'history.csv')
    assert list(hist.epoch) == [10, 20, 25]                                # every evaluation, plus the final one
    assert hist.notna().all().all()
    timing = ['wall_time', 'eval_time']
    pd.testing.assert_frame_equal(hist.drop(columns=timing), pd.read_csv(ref / 'history.csv').drop(columns=timing))
    assert sorted(os.listdir(out)) == ['checkpoint.pt', 'history.csv']     # no temp or partial file left
