"""Joint BT-VQVAE runs (gamma = 1) under a named setting, trained by `btvq.train.fit`; a step callback records
every step (and takes layer-wise projector steps for the `lamb` setting)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from btvq.barlow import bt_floor
from btvq.common import atomic_write
from btvq.models import build_model
from btvq.data import load_ucr
from btvq.train import fit, prepare_data, seed_everything

from .probes import Clock, LayerwiseSteps, bt_probe, grad_norm, probe_batches, projector_matrices, test_perplexity
from .settings import SETTINGS, Setting, default_out

CURVE_KEYS = ('bt', 'recon', 'perplexity', 'loss')


class StepRecorder:
    "`fit` callback: one row per step (learning rates, scalar losses, gradient norm); layer-wise projector steps if asked."
    def __init__(self, model, lamb: bool = False, every: int = 50, label: str = ''):
        self.rows, self.every, self.label = [], every, label
        self.layerwise = LayerwiseSteps(projector_matrices(model)) if lamb else None

    def __call__(self, step, out, model, opt):
        params = [p for g in opt.param_groups for p in g['params']]
        lrs = [g['lr'] for g in opt.param_groups]
        if self.layerwise is not None: self.layerwise(lrs[-1])
        scalars = {k: float(v.detach()) for k, v in out.items() if torch.is_tensor(v) and v.ndim == 0}
        self.rows.append(dict(step=step, lr=lrs[0], proj_lr=lrs[-1], **scalars, grad_norm=grad_norm(params)))
        if step % self.every == 0:
            last = self.rows[-self.every:]
            print(f"{self.label} step {step}: bt {np.mean([r['bt'] for r in last]):.3f} "
                  f"recon {np.mean([r['recon'] for r in last]):.3f}", flush=True)

    def curve(self) -> list[dict]:
        "Means of `CURVE_KEYS` over consecutive blocks of `every` steps."
        rows, n = self.rows, self.every
        return [dict(steps=f"{i + 1}-{min(i + n, len(rows))}", **{k: float(np.mean([r[k] for r in rows[i:i + n]]))
                                                                  for k in CURVE_KEYS}) for i in range(0, len(rows), n)]


def run_path(out: Path, dataset: str, setting: str) -> Path:
    "Where a joint run's summary goes (its steps: the same name with `.steps.json`)."
    return Path(out) / 'runs' / f"{dataset}__{setting}.json"


def joint_run(dataset: str, setting: Setting | str, steps: int = 400, seed: int = 0, batch_size: int = 128,
              every: int = 50, out: Path | None = None, data_root: str | None = None) -> dict:
    "Train a BT-VQVAE on `dataset` under `setting` for `steps`; write and return its summary (BT before/after, test recon, perplexity)."
    s = SETTINGS[setting] if isinstance(setting, str) else setting
    model_cfg, train_cfg = s.configs(steps, seed, batch_size)
    raw = load_ucr(dataset, root=data_root)
    data = prepare_data(raw)[0]                                # the normalised splits `fit` trains and evaluates on
    x_train = torch.as_tensor(data.x_train)
    batches = probe_batches(len(x_train), batch_size)
    seed_everything(seed)
    model = build_model(model_cfg, data.length)
    init = bt_probe(model, x_train, batches)
    rec, clock = StepRecorder(model, s.lamb, every, f"{dataset} {s.name}"), Clock()
    history = fit(model, raw, train_cfg, callback=rec)
    timing = clock.record()
    final, curve = bt_probe(model, x_train, batches), rec.curve()
    val = {k: float(v) for k, v in history.iloc[-1].items() if k.startswith('val_')}
    res = dict(dataset=dataset, length=data.length, n_train=len(x_train), setting=dict(name=s.name, overrides=s.overrides,
               lamb=s.lamb), steps=steps, seed=seed, batch_size=batch_size,
               bt_floor=bt_floor(model_cfg.proj_out, batch_size, model.lambd), bt_init=init, bt_final=final,
               bt_ratio=final['bt'] / init['bt'], bt_first50=curve[0]['bt'], bt_last50=curve[-1]['bt'], curve=curve,
               train_perplexity_last50=curve[-1]['perplexity'], test_perplexity=test_perplexity(model, data.x_test),
               **val, **timing)
    path = run_path(out or default_out(), dataset, s.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path.with_suffix('.steps.json'), lambda f: f.write(json.dumps(rec.rows).encode()))
    atomic_write(path, lambda f: f.write(json.dumps(res, indent=1).encode()))   # last: its presence means done
    print(f"{dataset} {s.name}: bt {init['bt']:.3f} -> {final['bt']:.3f} (ratio {res['bt_ratio']:.2f}), "
          f"val_recon {res['val_recon']:.4f}, test perplexity {res['test_perplexity']:.1f}, {timing['seconds']:.0f} s",
          flush=True)
    return res
