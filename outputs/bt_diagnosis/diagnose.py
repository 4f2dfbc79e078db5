"""Diagnosis of the Barlow Twins term at the thesis's sizes; writes init.json, blowup.json, augment.json here.

  init:    BT loss at initialisation, identical views, one augmentation at a time, all of them (3 datasets)
  blowup:  BT-only training on one fixed ChlorineConcentration batch with identical views, 30 steps at constant
           learning rates: per-layer update-to-weight ratios, BatchNorm statistics, collapse of the features
  augment: BT-only training with fresh views each step on that batch, one augmentation at a time (60 steps)
  warmup:  the blow-up case with a linear warm-up to lr 1e-3 over 20 steps (40 steps)
  grads:   sizes of the VQ-VAE loss's and the BT loss's gradients on the encoder at initialisation

OMP_NUM_THREADS=1 nice -n 10 python outputs/bt_diagnosis/diagnose.py [init] [blowup] [augment] [grads] [warmup]
"""
import json
import sys
import time

import numpy as np
import torch
from torch import nn

import btdiag as B
from btvq.augment import AUGMENTATIONS, Augmenter

VIEWS = {'identical': (), **{a: (a,) for a in AUGMENTATIONS}, 'all': tuple(AUGMENTATIONS)}


def measure_init(datasets=('ChlorineConcentration', 'ECG5000', 'FordA')) -> dict:
    "BT loss (and parts) at initialisation for every choice of views, 4 fixed batches per dataset."
    res = {}
    for name in datasets:
        data = B.load(name)
        x = torch.as_tensor(data.x_train)
        model = B.build(data.length, B.SETTINGS['thesis'])
        batches = B.probe_batches(len(x))
        res[name] = {}
        for view, augs in VIEWS.items():
            model.augmenter = Augmenter(augs)
            res[name][view] = B.bt_probe(model, x, batches)
            print(name, view, res[name][view], flush=True)
    return res


def spectral_norm(w: torch.Tensor, iters: int = 20) -> float:
    "Largest singular value of `w` by power iteration from a fixed start."
    v = torch.ones(w.shape[1]) / w.shape[1] ** 0.5
    for _ in range(iters):
        v = w.T @ (w @ v)
        v = v / v.norm()
    return float((w @ v).norm())


def top_pc_share(h: torch.Tensor) -> float:
    "Share of the batch variance of features `h` (B,d) on its first principal component (1: collapsed)."
    s = torch.linalg.svdvals(h - h.mean(0)).square()
    return float(s[0] / s.sum())


def bt_only_run(model, x, s: B.Setting, steps: int, enc_lr: float | None = None, seed: int = 0, detail: bool = True,
                warmup: int = 0):
    "BT-only AdamW steps (constant learning rates after `warmup` linear steps) on the fixed batch `x`; per-step record."
    torch.manual_seed(seed)
    opt, _ = B.make_optimizer(model, s, steps)
    if enc_lr is not None: opt.param_groups[0]['lr'] = enc_lr
    peaks = [grp['lr'] for grp in opt.param_groups]
    linears = [m for m in model.projector.mlp if isinstance(m, nn.Linear)]
    bns = [m for m in model.projector.mlp if isinstance(m, nn.BatchNorm1d)]
    acts = {}
    def keep(k):  # record a layer's first call (input, output); return None to leave the output as it is
        return lambda m, i, o: None if k in acts else acts.update({k: (i[0].detach(), o.detach())})
    hooks = [m.register_forward_hook(keep(k)) for k, m in enumerate(model.projector.mlp)]
    enc = [p for p in model.encoder.parameters()]
    gen, rows = torch.Generator().manual_seed(seed), []
    for t in range(steps):
        for grp, peak in zip(opt.param_groups, peaks): grp['lr'] = peak * min(1.0, (t + 1) / warmup if warmup else 1.0)
        acts.clear()
        w0 = [m.weight.detach().clone() for m in linears]
        e0 = [p.detach().clone() for p in enc]
        row = B.step(model, opt, x, gen, s, loss_key='bt')
        row = dict(step=t + 1, bt=row['bt'], grad_norm=row['grad_norm'])
        if detail:
            for k, (m, w) in enumerate(zip(linears, w0)):
                dw = m.weight.detach() - w
                h = acts[list(model.projector.mlp).index(m)][0]  # the layer's input (both views)
                row[f'lin{k}_ratio_fro'] = float(dw.norm() / w.norm())
                row[f'lin{k}_ratio_act'] = float((h @ dw.T).norm() / (h @ w.T).norm())
                if t + 1 in (1, 2, 3, 5, 10, 20, 30) or (warmup and (t + 1) % 5 == 0):
                    row[f'lin{k}_ratio_spec'] = spectral_norm(dw) / spectral_norm(w)
            row['encoder_ratio_fro'] = float(sum((p.detach() - q).norm() ** 2 for p, q in zip(enc, e0)).sqrt()
                                             / sum(q.norm() ** 2 for q in e0).sqrt())
            idx = {id(m): k for k, m in enumerate(model.projector.mlp)}
            for k, bn in enumerate(bns):
                pre = acts[idx[id(bn)]][0]  # first group (view A): its BN input
                row[f'bn{k}_batch_var'] = float(pre.var(0, unbiased=False).mean())
                row[f'bn{k}_running_var'] = float(bn.running_var.mean())
                row[f'bn{k}_weight_mean'] = float(bn.weight.mean())
                row[f'relu{k}_top_pc'] = top_pc_share(acts[idx[id(bn)] + 1][1][:len(x)])
            row['pooled_top_pc'] = top_pc_share(acts[0][0][:len(x)])
            row['embedding_top_pc'] = top_pc_share(acts[len(model.projector.mlp) - 1][1][:len(x)])
        rows.append(row)
        print(s.name, enc_lr, t + 1, {k: round(v, 4) for k, v in row.items() if 'spec' in k or k in ('bt',)},
              flush=True)
    for hk in hooks: hk.remove()
    return rows


BLOWUP = [  # (label, setting, encoder lr)
    ('all 1e-3 (thesis)', B.SETTINGS['thesis'], None),
    ('all 1e-4', B.Setting('lr=1e-4', lr=1e-4), None),
    ('projector 1e-4, rest 1e-3', B.SETTINGS['proj_lr=1e-4'], None),
    ('projector 1e-3, rest 1e-4', B.SETTINGS['thesis'], 1e-4),
    ('all 1e-3, clip 1', B.SETTINGS['clip=1'], None),
    ('all 1e-3, LAMB projector', B.SETTINGS['lamb'], None),
    ('all 1e-3, frozen projector', B.SETTINGS['frozen'], None),
]


def fixed_batch(name='ChlorineConcentration'):
    data = B.load(name)
    return data, torch.as_tensor(data.x_train)[B.probe_batches(len(data.x_train))[0]]


def measure_blowup(steps: int = 30) -> dict:
    data, x = fixed_batch()
    res = {}
    for label, s, enc_lr in BLOWUP:
        model = B.build(data.length, s)
        model.augmenter = Augmenter(())
        t0 = time.perf_counter()
        res[label] = dict(setting=s.name, enc_lr=enc_lr, rows=bt_only_run(model, x, s, steps, enc_lr))
        res[label]['seconds'] = time.perf_counter() - t0
    return res


def measure_warmup(steps: int = 40, warmup: int = 20) -> dict:
    "The thesis setting on the blow-up case with a linear warm-up to lr 1e-3 over `warmup` steps."
    data, x = fixed_batch()
    model = B.build(data.length, B.SETTINGS['thesis'])
    model.augmenter = Augmenter(())
    return dict(warmup=warmup, rows=bt_only_run(model, x, B.SETTINGS['thesis'], steps, warmup=warmup))


def measure_augment(steps: int = 60, setting: str = 'proj_lr=1e-4') -> dict:
    data, x = fixed_batch()
    res = {}
    for view, augs in VIEWS.items():
        model = B.build(data.length, B.SETTINGS[setting])
        model.augmenter = Augmenter(augs)
        batches = [torch.arange(len(x))]
        init = B.bt_probe(model, x, batches)
        rows = bt_only_run(model, x, B.SETTINGS[setting], steps, detail=False)
        res[view] = dict(init=init, final=B.bt_probe(model, x, batches),
                         last10=float(np.mean([r['bt'] for r in rows[-10:]])), curve=[r['bt'] for r in rows])
        print(view, res[view]['init'], res[view]['final'], flush=True)
    return dict(setting=setting, steps=steps, views=res)


def measure_grads(datasets=('ChlorineConcentration', 'ECG5000', 'FordA')) -> dict:
    "Gradients of the VQ-VAE loss and of the BT loss on the encoder at initialisation (4 fixed batches)."
    res = {}
    for name in datasets:
        data = B.load(name)
        x = torch.as_tensor(data.x_train)
        model = B.build(data.length, B.SETTINGS['thesis']).train()
        enc = list(model.encoder.parameters())
        rows = []
        for i, idx in enumerate(B.probe_batches(len(x))):
            out = model(x[idx], generator=torch.Generator().manual_seed(i))
            g_vq = torch.autograd.grad(out['loss'] - out['bt'], enc, retain_graph=True)
            g_bt = torch.autograd.grad(out['bt'], enc)
            flat = lambda gs: torch.cat([g.flatten() for g in gs])
            a, b = flat(g_vq), flat(g_bt)
            rows.append(dict(vq_norm=float(a.norm()), bt_norm=float(b.norm()), ratio=float(b.norm() / a.norm()),
                             cosine=float(a @ b / (a.norm() * b.norm())),
                             median_elementwise_ratio=float((b.abs() / a.abs().clamp_min(1e-30)).median())))
        res[name] = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
        print(name, res[name], flush=True)
    return res


if __name__ == '__main__':
    todo = sys.argv[1:] or ['init', 'blowup', 'augment']
    for what in todo:
        t0 = time.perf_counter()
        res = dict(init=measure_init, blowup=measure_blowup, augment=measure_augment, grads=measure_grads,
                   warmup=measure_warmup)[what]()
        (B.HERE / f'{what}.json').write_text(json.dumps(dict(seconds=time.perf_counter() - t0, results=res), indent=1))
