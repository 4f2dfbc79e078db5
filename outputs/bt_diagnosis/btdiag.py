"""Shared pieces of the Barlow Twins diagnosis scripts: data, training settings, optimiser, probes, one joint run.

Run every script with `OMP_NUM_THREADS=1 nice -n 10 python outputs/bt_diagnosis/<script>.py` from the repo root.
"""
from __future__ import annotations

import copy
import json
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from btvq.barlow import barlow_twins_loss, bt_floor
from btvq.data import load_ucr
from btvq.models import BTVQVAE
from btvq.quantize import codebook_usage
from btvq.stft import finite_checks
from btvq.train import epoch_batch, eval_mode, prepare_data, seed_everything, steps_per_epoch, validation_loss

torch.set_num_threads(1)
HERE = Path(__file__).resolve().parent
UCR = os.environ['BTVQ_UCR_DIR']            # the UCR archive root


@dataclass
class Setting:
    "One training setting of a joint BT-VQVAE run (thesis defaults)."
    name: str = 'thesis'
    lr: float = 1e-3
    weight_decay: float = 1e-3
    proj_lr: float | None = None      # learning rate of the projector's parameter group (None: lr)
    clip_grad: float | None = None    # clip the global gradient norm (None: off)
    warmup: int = 0                   # linear warm-up steps before the cosine decay
    frozen: bool = False              # random projector, never trained (the authors' code)
    proj_width: int = 4096            # hidden and output width of the projector
    lamb: bool = False                # rescale each projector matrix's AdamW step to ||dW|| = lr ||W|| (LAMB/LARS)


SETTINGS = {s.name: s for s in [
    Setting('thesis'),
    Setting('proj_lr=1e-4', proj_lr=1e-4),
    Setting('proj_lr=1e-5', proj_lr=1e-5),
    Setting('frozen', frozen=True),
    Setting('clip=1', clip_grad=1.0),
    Setting('warmup=40', warmup=40),
    Setting('lamb', lamb=True),
    Setting('width=1024', proj_width=1024),
    Setting('width=1024,proj_lr=1e-5', proj_width=1024, proj_lr=1e-5),
]}


def load(name: str):
    "Normalised UCR dataset `name` (train statistics), as `fit` sees it."
    return prepare_data(load_ucr(name, root=UCR))[0]


def build(length: int, s: Setting, seed: int = 0) -> BTVQVAE:
    "BT-VQVAE (gamma = 1, thesis defaults) for setting `s`."
    seed_everything(seed)
    return BTVQVAE(length, gamma=1.0, frozen_projector=s.frozen, proj_hidden=s.proj_width, proj_out=s.proj_width)


def make_optimizer(model: nn.Module, s: Setting, steps: int):
    "AdamW with a projector parameter group, and its cosine schedule (after `s.warmup` linear warm-up steps)."
    proj = [p for n, p in model.named_parameters() if n.startswith('projector.') and p.requires_grad]
    rest = [p for n, p in model.named_parameters() if not n.startswith('projector.') and p.requires_grad]
    groups = [dict(params=rest, lr=s.lr)] + ([dict(params=proj, lr=s.proj_lr or s.lr)] if proj else [])
    opt = torch.optim.AdamW(groups, weight_decay=s.weight_decay, fused=True)
    factor = lambda t: min(1.0, (t + 1) / s.warmup if s.warmup else 1.0) * 0.5 * (1 + math.cos(math.pi * t / steps))
    return opt, torch.optim.lr_scheduler.LambdaLR(opt, factor)


def proj_matrices(model: nn.Module) -> list[nn.Parameter]:
    "The projector's linear weight matrices."
    return [m.weight for m in model.projector.mlp if isinstance(m, nn.Linear)]


def lamb_rescale_(params, before, lr: float) -> None:
    "Rescale each matrix's last step `p - before` so that its norm is `lr * ||before||` (layer-wise trust ratio)."
    with torch.no_grad():
        for p, p0 in zip(params, before):
            d = p - p0
            p.copy_(p0 + d * (lr * p0.norm() / d.norm().clamp_min(1e-12)))


def step(model, opt, x, gen, s: Setting, loss_key: str = 'loss') -> dict:
    "One optimiser step (as `btvq.train.train_step`), with the setting's clipping and layer-wise rescaling."
    with finite_checks(False):
        out = model(x, generator=gen)
    opt.zero_grad(set_to_none=True)
    out[loss_key].backward()
    params = [p for g in opt.param_groups for p in g['params']]
    gnorm = torch.nn.utils.clip_grad_norm_(params, s.clip_grad or math.inf)
    mats = proj_matrices(model) if s.lamb and not s.frozen else []
    before = [p.detach().clone() for p in mats]
    opt.step()
    if mats: lamb_rescale_(mats, before, opt.param_groups[-1]['lr'])
    return dict({k: float(v) for k, v in out.items() if torch.is_tensor(v) and v.ndim == 0}, grad_norm=float(gnorm))


def embeddings(model: BTVQVAE, x: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    "The two views' projector outputs, computed as `BTVQVAE.forward` does (one encoder call over x and both views)."
    x = x[:, None] if x.ndim == 2 else x
    with finite_checks(False):
        views = model.augmenter(torch.cat([x, x]), gen)
        _, z = model._stft_encode(torch.cat([x, views]))
        return model.projector(z[len(x):], groups=2).chunk(2)


def bt_split(a: torch.Tensor, b: torch.Tensor, lambd: float = 0.005) -> dict:
    "BT loss and its two parts per feature: invariance sum (1-C_ii)^2 / d and redundancy lambd sum C_ij^2 / d."
    bt, inv = barlow_twins_loss(a, b, lambd), barlow_twins_loss(a, b, 0.0)
    return dict(bt=float(bt), invariance=float(inv), redundancy=float(bt - inv))


def probe_batches(n: int, bs: int = 128, k: int = 4, seed: int = 1234) -> list[torch.Tensor]:
    "`k` fixed index batches (fewer if the split is small) for comparable BT measurements."
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return [perm[i * bs:(i + 1) * bs] for i in range(min(k, n // bs))]


def bt_probe(model: BTVQVAE, x_train: torch.Tensor, batches, seed: int = 99) -> dict:
    "Mean BT loss (and parts) over fixed batches and fixed views, in training mode, on a copy (BN buffers kept)."
    m = copy.deepcopy(model).train()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        parts = [bt_split(*embeddings(m, x_train[i], gen), m.lambd) for i in batches]
    return {k: float(np.mean([p[k] for p in parts])) for k in parts[0]}


def test_perplexity(model: BTVQVAE, x: np.ndarray, bs: int = 256) -> float:
    "Perplexity of the code histogram over the whole test split."
    x = torch.as_tensor(x)
    with eval_mode(model):
        ids = torch.cat([model.encode(x[i:i + bs]) for i in range(0, len(x), bs)])
    return float(codebook_usage(ids, model.quantizer.n_codes)[1])


def joint_run(dataset: str, s: Setting, steps: int = 400, seed: int = 0, bs: int = 128, every: int = 50) -> dict:
    "Train a BT-VQVAE (gamma = 1) for `steps` as `btvq.train.fit` does; return the run's record."
    data = load(dataset)
    x_train = torch.as_tensor(data.x_train)
    n = len(x_train)
    batches = probe_batches(n, bs)
    model = build(data.length, s, seed)
    opt, sched = make_optimizer(model, s, steps)
    init = bt_probe(model, x_train, batches)
    seed_everything(seed)
    gen = torch.Generator().manual_seed(seed)
    per_epoch, rows, perm, b = steps_per_epoch(n, bs), [], None, 0
    model.train()
    t0, c0 = time.perf_counter(), time.process_time()
    for t in range(steps):
        if perm is None: perm, b = torch.randperm(n, generator=gen), 0
        lrs = [g['lr'] for g in opt.param_groups]
        row = step(model, opt, x_train[epoch_batch(perm, b, bs)], gen, s)
        sched.step()
        rows.append(dict(step=t + 1, lr=lrs[0], proj_lr=lrs[-1], **row))
        b += 1
        if b == per_epoch: perm = None
        if (t + 1) % every == 0:
            print(f"{dataset} {s.name} step {t + 1}: bt {np.mean([r['bt'] for r in rows[-every:]]):.3f} "
                  f"recon {np.mean([r['recon'] for r in rows[-every:]]):.3f} ({time.perf_counter() - t0:.0f} s)",
                  flush=True)
    seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
    final = bt_probe(model, x_train, batches)
    keys = ('bt', 'recon', 'perplexity', 'loss')
    curve = [dict(steps=f"{i + 1}-{min(i + every, steps)}", **{k: float(np.mean([r[k] for r in rows[i:i + every]]))
                                                               for k in keys}) for i in range(0, steps, every)]
    d = model.projector.mlp[-1].out_features
    res = dict(dataset=dataset, length=data.length, n_train=n, setting=asdict(s), steps=steps, seed=seed,
               batch_size=bs, seconds=seconds, cpu_seconds=cpu_seconds, threads=torch.get_num_threads(),
               bt_floor=bt_floor(d, bs, model.lambd),
               bt_init=init, bt_final=final, bt_ratio=final['bt'] / init['bt'],
               bt_last50=curve[-1]['bt'], bt_first50=curve[0]['bt'], curve=curve,
               train_perplexity_last50=curve[-1]['perplexity'], test_perplexity=test_perplexity(model, data.x_test),
               **validation_loss(model, data.x_test))
    out = HERE / 'runs' / f"{dataset}__{s.name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(res, indent=1))
    out.with_suffix('.steps.json').write_text(json.dumps(rows))
    print(f"{dataset} {s.name}: bt {init['bt']:.3f} -> {final['bt']:.3f} (ratio {res['bt_ratio']:.2f}), "
          f"val_recon {res['val_recon']:.4f}, test perplexity {res['test_perplexity']:.1f}, {seconds:.0f} s",
          flush=True)
    return res
