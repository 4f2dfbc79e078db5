"""The diagnosis's training settings, as run overrides (`btvq.config.parse_overrides`), and where results go."""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from btvq.config import ModelConfig, RunConfig, TrainConfig, repo_root


@dataclass(frozen=True)
class Setting:
    "A named joint-run setting: overrides of the thesis's BT-VQVAE (gamma = 1) and whether projector steps are layer-wise."
    name: str
    overrides: str = ''           # e.g. 'train.proj_lr=1e-5 model.proj_hidden=1024 model.proj_out=1024'
    lamb: bool = False            # rescale each projector matrix's step to ||dW|| = lr ||W|| (LAMB/LARS trust ratio)

    def configs(self, steps: int, seed: int = 0, batch_size: int = 128) -> tuple[ModelConfig, TrainConfig]:
        "Model and training configs of a `steps`-step run: one evaluation at the end (no probe), no checkpoints."
        run = RunConfig.make('diagnosis', gamma=1.0, overrides=self.overrides)
        train = replace(run.train, steps=steps, epochs=1, batch_size=batch_size, seed=seed, evals=1, eval_every=0,
                        checkpoint_every=0, probe=False, progress=False)
        return run.model, train


WIDTH_1024 = 'model.proj_hidden=1024 model.proj_out=1024'
SETTINGS = {s.name: s for s in [
    Setting('thesis'),
    Setting('proj_lr=1e-4', 'train.proj_lr=1e-4'),
    Setting('proj_lr=1e-5', 'train.proj_lr=1e-5'),
    Setting('frozen', 'model.frozen_projector=true'),
    Setting('clip=1', 'train.clip_grad=1'),
    Setting('lamb', lamb=True),
    Setting('width=1024', WIDTH_1024),
    Setting('width=1024,proj_lr=1e-5', f'{WIDTH_1024} train.proj_lr=1e-5'),
]}

# the joint runs of the notebook's tables: every setting on ChlorineConcentration, the main ones on two more datasets
JOINT_RUNS = ([('ChlorineConcentration', s) for s in ('thesis', 'frozen', 'lamb', 'proj_lr=1e-4', 'proj_lr=1e-5',
                                                      'width=1024', 'width=1024,proj_lr=1e-5')]
              + [('ECG5000', s) for s in ('thesis', 'proj_lr=1e-5', 'width=1024', 'width=1024,proj_lr=1e-5')]
              + [('FordA', s) for s in ('thesis', 'width=1024', 'width=1024,proj_lr=1e-5')])
DATASETS = ('ChlorineConcentration', 'ECG5000', 'FordA')   # the measurements at initialisation
CHOSEN = 'width=1024'                                       # the setting the diagnosis chose (at 400 steps)


def default_out() -> Path:
    "`<repo>/outputs/bt_diagnosis` in a source checkout, else `./outputs/bt_diagnosis`."
    return (repo_root() or Path.cwd()) / 'outputs' / 'bt_diagnosis'
