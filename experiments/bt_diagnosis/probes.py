"""Measurements of a BT-VQVAE's Barlow Twins branch: the two views' embeddings, the loss split into its parts, the
mean over fixed batches, the test split's code perplexity; layer-wise projector steps; a run's provenance."""
from __future__ import annotations

import copy
import os
import time

import numpy as np
import torch
from torch import Tensor, nn

from btvq.barlow import barlow_twins_loss
from btvq.data import UCRData, load_ucr
from btvq.experiment import environment
from btvq.models import BTVQVAE
from btvq.quantize import codebook_usage
from btvq.stft import finite_checks
from btvq.train import eval_mode, prepare_data


def load(name: str, root: str | None = None) -> UCRData:
    "UCR dataset `name` normalised with its train split's statistics, as `fit` sees it (archive: `root` or $BTVQ_UCR_DIR)."
    return prepare_data(load_ucr(name, root=root))[0]


def embeddings(model: BTVQVAE, x: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    "The projector outputs of the two views that `model`'s forward pass makes of batch `x` (views from `generator`)."
    seen = []
    hook = model.projector.register_forward_hook(lambda m, i, o: seen.append(o))
    try:
        with finite_checks(False): model(x, generator=generator)
    finally: hook.remove()
    return seen[-1].chunk(2)


def bt_split(a: Tensor, b: Tensor, lambd: float = 0.005) -> dict:
    "The BT loss of embeddings `a`, `b` and its parts: invariance sum_i (1 - C_ii)^2 / d, redundancy (the rest)."
    bt, inv = barlow_twins_loss(a, b, lambd).item(), barlow_twins_loss(a, b, 0.0).item()
    return dict(bt=bt, invariance=inv, redundancy=bt - inv)


def probe_batches(n: int, batch_size: int = 128, k: int = 4, seed: int = 1234) -> list[Tensor]:
    "`k` fixed index batches of a split of `n` (fewer if it is small): the same series for every measurement."
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return [perm[i * batch_size:(i + 1) * batch_size] for i in range(min(k, n // batch_size))]


def bt_probe(model: BTVQVAE, x: Tensor, batches: list[Tensor], seed: int = 99) -> dict:
    "Mean BT loss and parts over `batches` of `x` with fixed views, in training mode, on a copy (the model is untouched)."
    m = copy.deepcopy(model).train()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad(): parts = [bt_split(*embeddings(m, x[i], gen), m.lambd) for i in batches]
    return {k: float(np.mean([p[k] for p in parts])) for k in parts[0]}


def test_perplexity(model: BTVQVAE, x: np.ndarray, batch_size: int = 256) -> float:
    "Perplexity of the code histogram over all of `x` (normalised series)."
    x = torch.as_tensor(x)
    with eval_mode(model): ids = torch.cat([model.encode(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])
    return float(codebook_usage(ids, model.quantizer.n_codes)[1])


def projector_matrices(model: BTVQVAE) -> list[nn.Parameter]:
    "The projector's linear weight matrices."
    return [m.weight for m in model.projector.mlp if isinstance(m, nn.Linear)]


class LayerwiseSteps:
    "Rescale each matrix's change since the last call to `lr * ||W_before||` (LAMB/LARS trust ratio); call after every step."
    def __init__(self, matrices: list[Tensor]):
        self.matrices = matrices
        self.before = [w.detach().clone() for w in matrices]

    def __call__(self, lr: float) -> None:
        with torch.no_grad():
            for w, w0 in zip(self.matrices, self.before):
                d = w - w0
                w.copy_(w0 + d * (lr * w0.norm() / d.norm().clamp_min(1e-12)))
                w0.copy_(w)


def grad_norm(params) -> float:
    "Global norm of the gradients of `params` (those that have one)."
    norms = [p.grad.norm() for p in params if p.grad is not None]
    return float(torch.linalg.vector_norm(torch.stack(norms))) if norms else 0.0


class Clock:
    "Wall and process seconds since it was made, and the provenance a result records."
    def __init__(self): self.t0, self.c0 = time.perf_counter(), time.process_time()

    def record(self) -> dict:
        return dict(seconds=time.perf_counter() - self.t0, cpu_seconds=time.process_time() - self.c0,
                    threads=torch.get_num_threads(), omp_num_threads=os.environ.get('OMP_NUM_THREADS'),
                    env=environment(torch.device('cpu')))
