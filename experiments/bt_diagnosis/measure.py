"""Fixed-batch measurements of the Barlow Twins branch at the thesis's sizes (seed 0, batch 128):

  init     BT loss at initialisation: identical views, one augmentation at a time, all five (3 datasets)
  blowup   BT-only AdamW on one ChlorineConcentration batch, identical views, 30 steps at constant rates:
           per-layer update-to-weight ratios, BatchNorm statistics, collapse of the features
  augment  BT-only training with fresh views at every step on that batch, one augmentation at a time (60 steps)
  warmup   the blow-up case with a linear warm-up to lr 1e-3 over 20 steps (40 steps)
  grads    sizes of the VQ-VAE loss's and the BT loss's gradients on the encoder at initialisation (3 datasets)
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
from torch import nn

from btvq.augment import AUGMENTATIONS, Augmenter
from btvq.config import TrainConfig
from btvq.models import build_model
from btvq.stft import finite_checks
from btvq.train import make_optimizer, seed_everything

from .probes import LayerwiseSteps, bt_probe, grad_norm, load, probe_batches, projector_matrices
from .settings import DATASETS, SETTINGS, Setting

VIEWS = {'identical': (), **{a: (a,) for a in AUGMENTATIONS}, 'all': tuple(AUGMENTATIONS)}


def fresh_model(length: int, setting: str = 'thesis', augs: tuple | None = None, seed: int = 0):
    "A BT-VQVAE of `setting` at initialisation (seed `seed`); its views made by `augs` if given."
    seed_everything(seed)
    model = build_model(SETTINGS[setting].configs(1)[0], length)
    if augs is not None: model.augmenter = Augmenter(augs)
    return model


def train_series_and_model(name: str, root=None):
    "A study dataset's training series (N, L) and a thesis-setting BT-VQVAE at initialisation for their length."
    data = load(name, root)
    return torch.as_tensor(data.x_train), fresh_model(data.length)


def measure_init(datasets=DATASETS, root=None) -> dict:
    "BT loss (and parts) at initialisation for every choice of views, 4 fixed batches per dataset."
    res = {}
    for name in datasets:
        x, model = train_series_and_model(name, root)
        batches = probe_batches(len(x))
        res[name] = {}
        for view, augs in VIEWS.items():
            model.augmenter = Augmenter(augs)
            res[name][view] = bt_probe(model, x, batches)
            print(name, view, {k: round(v, 4) for k, v in res[name][view].items()}, flush=True)
    return res


def spectral_norm(w: torch.Tensor, iters: int = 20) -> float:
    "Largest singular value of `w` by power iteration from a fixed start."
    v = torch.ones(w.shape[1]) / w.shape[1] ** 0.5
    for _ in range(iters): v = w.T @ (w @ v); v = v / v.norm()
    return float((w @ v).norm())


def top_pc_share(h: torch.Tensor) -> float:
    "Share of the batch variance of features `h` (B, d) on its first principal component (1: collapsed)."
    s = torch.linalg.svdvals(h - h.mean(0)).square()
    return float(s[0] / s.sum())


class LayerTaps:
    "Forward hooks on the projector's layers keeping each layer's first (input, output) of a step."
    def __init__(self, model):
        self.layers, self.acts = list(model.projector.mlp), {}
        keep = lambda k: lambda m, i, o: None if k in self.acts else self.acts.update({k: (i[0].detach(), o.detach())})
        self.hooks = [m.register_forward_hook(keep(k)) for k, m in enumerate(self.layers)]

    def remove(self):
        for h in self.hooks: h.remove()


def layer_stats(model, taps: LayerTaps, w0: list, e0: list, n: int, spectral: bool) -> dict:
    "Update-to-weight ratios of the projector's matrices and the encoder, BatchNorm statistics, feature collapse."
    row, layers, acts = {}, taps.layers, taps.acts
    lins = [k for k, m in enumerate(layers) if isinstance(m, nn.Linear)]
    for j, (k, w) in enumerate(zip(lins, w0)):
        dw, h = layers[k].weight.detach() - w, acts[k][0]               # the step, the layer's input (both views)
        row[f'lin{j}_ratio_fro'] = float(dw.norm() / w.norm())
        row[f'lin{j}_ratio_act'] = float((h @ dw.T).norm() / (h @ w.T).norm())
        if spectral: row[f'lin{j}_ratio_spec'] = spectral_norm(dw) / spectral_norm(w)
    enc = list(model.encoder.parameters())
    row['encoder_ratio_fro'] = float(sum((p.detach() - q).norm() ** 2 for p, q in zip(enc, e0)).sqrt()
                                     / sum(q.norm() ** 2 for q in e0).sqrt())
    for j, k in enumerate(k for k, m in enumerate(layers) if isinstance(m, nn.BatchNorm1d)):
        row[f'bn{j}_batch_var'] = float(acts[k][0][:n].var(0, unbiased=False).mean())  # view A's BN input
        row[f'bn{j}_running_var'] = float(layers[k].running_var.mean())
        row[f'bn{j}_weight_mean'] = float(layers[k].weight.mean())
        row[f'relu{j}_top_pc'] = top_pc_share(acts[k + 1][1][:n])
    row['pooled_top_pc'] = top_pc_share(acts[0][0][:n])
    row['embedding_top_pc'] = top_pc_share(acts[len(layers) - 1][1][:n])
    return row


def bt_only_run(model, x, setting: Setting, steps: int, lr: float = 1e-3, proj_lr: float | None = None,
                warmup: int = 0, detail: bool = True, seed: int = 0) -> list[dict]:
    "BT-only AdamW steps on the fixed batch `x` at constant rates (after `warmup` linear steps); one record per step."
    torch.manual_seed(seed)
    cfg = replace(setting.configs(steps)[1], lr=lr, proj_lr=proj_lr)
    opt = make_optimizer(model, cfg)
    peaks = [g['lr'] for g in opt.param_groups]
    layerwise = LayerwiseSteps(projector_matrices(model)) if setting.lamb else None
    taps = LayerTaps(model) if detail else None
    gen, rows = torch.Generator().manual_seed(seed), []
    for t in range(steps):
        for g, peak in zip(opt.param_groups, peaks): g['lr'] = peak * min(1.0, (t + 1) / warmup if warmup else 1.0)
        if taps: taps.acts.clear()
        w0 = [w.detach().clone() for w in projector_matrices(model)]
        e0 = [p.detach().clone() for p in model.encoder.parameters()]
        with finite_checks(False): out = model(x, generator=gen)
        opt.zero_grad(set_to_none=True)
        out['bt'].backward()
        params = [p for g in opt.param_groups for p in g['params']]
        row = dict(step=t + 1, bt=float(out['bt']), grad_norm=grad_norm(params))
        if cfg.clip_grad: torch.nn.utils.clip_grad_norm_(params, cfg.clip_grad)
        opt.step()
        if layerwise: layerwise(opt.param_groups[-1]['lr'])
        if detail:
            spectral = t + 1 in (1, 2, 3, 5, 10, 20, 30) or bool(warmup and (t + 1) % 5 == 0)
            row.update(layer_stats(model, taps, w0, e0, len(x), spectral))
        rows.append(row)
        print(setting.name, lr, proj_lr, t + 1, {k: round(v, 4) for k, v in row.items() if 'spec' in k or k == 'bt'},
              flush=True)
    if taps: taps.remove()
    return rows


BLOWUP = [  # label, setting, encoder (and default) lr, projector lr
    ('all 1e-3 (thesis)', 'thesis', 1e-3, None),
    ('all 1e-4', 'thesis', 1e-4, None),
    ('projector 1e-4, rest 1e-3', 'thesis', 1e-3, 1e-4),
    ('projector 1e-3, rest 1e-4', 'thesis', 1e-4, 1e-3),
    ('all 1e-3, clip 1', 'clip=1', 1e-3, None),
    ('all 1e-3, LAMB projector', 'lamb', 1e-3, None),
    ('all 1e-3, frozen projector', 'frozen', 1e-3, None),
]


def fixed_batch(name: str = 'ChlorineConcentration', root=None):
    "A dataset's length and its first fixed batch of 128 training series."
    data = load(name, root)
    return data.length, torch.as_tensor(data.x_train)[probe_batches(len(data.x_train))[0]]


def measure_blowup(steps: int = 30, root=None) -> dict:
    "The BLOWUP settings on the fixed batch with identical views."
    length, x = fixed_batch(root=root)
    return {label: dict(setting=s, lr=lr, proj_lr=proj_lr,
                        rows=bt_only_run(fresh_model(length, s, ()), x, SETTINGS[s], steps, lr, proj_lr))
            for label, s, lr, proj_lr in BLOWUP}


def measure_warmup(steps: int = 40, warmup: int = 20, root=None) -> dict:
    "The thesis setting on the blow-up case with a linear warm-up to lr 1e-3 over `warmup` steps."
    length, x = fixed_batch(root=root)
    return dict(warmup=warmup, rows=bt_only_run(fresh_model(length, 'thesis', ()), x, SETTINGS['thesis'], steps,
                                                warmup=warmup))


def measure_augment(steps: int = 60, proj_lr: float = 1e-4, root=None) -> dict:
    "BT-only training with fresh views each step, one augmentation at a time (projector at `proj_lr`)."
    length, x = fixed_batch(root=root)
    whole, res = [torch.arange(len(x))], {}
    for view, augs in VIEWS.items():
        model = fresh_model(length, 'thesis', augs)
        init = bt_probe(model, x, whole)
        rows = bt_only_run(model, x, SETTINGS['thesis'], steps, proj_lr=proj_lr, detail=False)
        res[view] = dict(init=init, final=bt_probe(model, x, whole), last10=float(np.mean([r['bt'] for r in rows[-10:]])),
                         curve=[r['bt'] for r in rows])
    return dict(proj_lr=proj_lr, steps=steps, views=res)


def measure_grads(datasets=DATASETS, root=None) -> dict:
    "Norms, cosine and median element-wise ratio of the VQ-VAE loss's and the BT loss's encoder gradients at initialisation."
    res = {}
    for name in datasets:
        x, model = train_series_and_model(name, root)
        model.train()
        enc, rows = list(model.encoder.parameters()), []
        for i, idx in enumerate(probe_batches(len(x))):
            out = model(x[idx], generator=torch.Generator().manual_seed(i))
            flat = lambda gs: torch.cat([g.flatten() for g in gs])
            a = flat(torch.autograd.grad(out['loss'] - out['bt'], enc, retain_graph=True))
            b = flat(torch.autograd.grad(out['bt'], enc))
            rows.append(dict(vq_norm=float(a.norm()), bt_norm=float(b.norm()), ratio=float(b.norm() / a.norm()),
                             cosine=float(a @ b / (a.norm() * b.norm())),
                             median_elementwise_ratio=float((b.abs() / a.abs().clamp_min(1e-30)).median())))
        res[name] = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
        print(name, {k: round(v, 4) for k, v in res[name].items()}, flush=True)
    return res


MEASUREMENTS = dict(init=measure_init, blowup=measure_blowup, augment=measure_augment, warmup=measure_warmup,
                    grads=measure_grads)
