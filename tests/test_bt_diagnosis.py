"The Barlow Twins diagnosis (experiments/bt_diagnosis) at tiny sizes on GunPoint: its joint runs go through `fit`, its files are whole, its CLI refuses bad input."
import json

import pytest
import torch

from btvq.models import BTVQVAE
from btvq.train import seed_everything
from experiments.bt_diagnosis.__main__ import main
from experiments.bt_diagnosis.joint import joint_run, run_path
from experiments.bt_diagnosis.probes import LayerwiseSteps, bt_probe, bt_split, embeddings, probe_batches
from experiments.bt_diagnosis.report import write_report
from experiments.bt_diagnosis.settings import JOINT_RUNS, SETTINGS, Setting

TINY = 'model.dim=8 model.n_res=1 model.n_codes=8 model.proj_hidden=32 model.proj_out=32'


def test_settings_are_run_overrides():
    model, train = SETTINGS['width=1024,proj_lr=1e-5'].configs(400)
    assert (model.gamma, model.proj_hidden, model.proj_out, train.proj_lr, train.steps) == (1.0, 1024, 1024, 1e-5, 400)
    assert SETTINGS['frozen'].configs(10)[0].frozen_projector and SETTINGS['lamb'].lamb
    assert SETTINGS['thesis'].configs(10)[0].proj_out == 4096 and not SETTINGS['thesis'].configs(10)[1].probe
    assert all(s in SETTINGS for _, s in JOINT_RUNS)


def test_embeddings_are_the_ones_the_loss_sees():
    seed_everything(0)
    m = BTVQVAE(64, dim=8, n_codes=8, n_res=1, proj_hidden=32, proj_out=32).train()
    x = torch.randn(16, 64, generator=torch.Generator().manual_seed(1)).cumsum(-1) / 4
    a, b = embeddings(m, x, torch.Generator().manual_seed(2))
    out = m(x, generator=torch.Generator().manual_seed(2))
    parts = bt_split(a, b, m.lambd)
    assert a.shape == b.shape == (16, 32)
    assert abs(parts['bt'] - out['bt'].item()) < 1e-6 and parts['invariance'] > 0 and parts['redundancy'] > 0
    before = {k: v.clone() for k, v in m.state_dict().items()}
    bt_probe(m, x, probe_batches(16, 8))                                      # measures a copy
    assert all(torch.equal(v, before[k]) for k, v in m.state_dict().items())


def test_layerwise_steps_set_each_step_to_lr_times_the_weights():
    w = torch.nn.Parameter(torch.randn(6, 5))
    steps = LayerwiseSteps([w])
    w0 = w.detach().clone()
    with torch.no_grad(): w.add_(torch.randn(6, 5))                         # a large step
    steps(1e-2)
    assert torch.isclose((w - w0).norm(), 1e-2 * w0.norm(), rtol=1e-5)
    w1 = w.detach().clone()
    with torch.no_grad(): w.mul_(1.5)                                        # the next step starts from the rescaled weights
    steps(1e-2)
    assert torch.isclose((w - w1).norm(), 1e-2 * w1.norm(), rtol=1e-5)


def test_joint_run_writes_whole_results_and_reports(tmp_path):
    s = Setting('tiny', TINY, lamb=True)
    r = joint_run('GunPoint', s, steps=6, batch_size=16, every=3, out=tmp_path)
    steps = json.loads(run_path(tmp_path, 'GunPoint', 'tiny').with_suffix('.steps.json').read_text())
    assert [row['step'] for row in steps] == list(range(1, 7)) and steps[0]['lr'] == 1e-3
    assert len(r['curve']) == 2 and r['bt_init']['bt'] > 0 and r['val_recon'] > 0 and r['env']['git_commit']
    assert json.loads(run_path(tmp_path, 'GunPoint', 'tiny').read_text())['bt_ratio'] == r['bt_ratio']
    again = joint_run('GunPoint', s, steps=6, batch_size=16, every=3, out=tmp_path / 'again')
    assert again['bt_final'] == r['bt_final'] and again['val_recon'] == r['val_recon']   # same seed, same numbers
    written = {p.name for p in write_report(tmp_path)}
    assert {'runs.csv', 'summary.md', 'bt_loss_GunPoint.png'} <= written
    assert not list(tmp_path.rglob('*.tmp'))


def test_cli_dry_run_and_bad_input(tmp_path, capsys):
    assert main(['joint', '--runs', 'GunPoint:thesis', '--out', str(tmp_path), '--dry-run']) == 0
    assert 'joint GunPoint thesis' in capsys.readouterr().out and not any(tmp_path.iterdir())
    with pytest.raises(SystemExit): main(['joint', '--runs', 'GunPoint:nope', '--dry-run'])
    assert 'settings: thesis' in capsys.readouterr().err
