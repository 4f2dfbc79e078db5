"""The report command line (`btvq-report`, `python -m btvq.report`: `btvq/report/__main__.py`, which nbdev_test
does not run), its light import, grouping by run label, reference points of a custom dataset, statistics, and the
committed outputs of the executed results chapter."""
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from btvq.report import (HEADLINE_METRICS, RAW, README_END, README_START, UNTRAINED, best_beyond_spread, collect_runs,
                         headline_table, main, make_fake_runs, paired_stats)


def report(*args: str, cwd) -> subprocess.CompletedProcess:
    "Run the report command line in `cwd` with a non-interactive matplotlib backend and no peers' environment."
    env = dict(os.environ, MPLBACKEND='Agg', BTVQ_PEERS_PYTHON=str(Path(cwd) / 'no-peers-python'))
    return subprocess.run([sys.executable, '-m', 'btvq.report', *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def toy_dataset(root, name: str, n: int = 24, length: int = 64) -> None:
    "A two-class dataset in the UCR layout: `<root>/<name>/<name>_{TRAIN,TEST}.tsv`, label then values."
    g, t = np.random.default_rng(0), np.linspace(0, 4 * np.pi, length)
    (root / name).mkdir(parents=True)
    for split in ('TRAIN', 'TEST'):
        y = np.arange(n) % 2 + 1
        x = np.where(y[:, None] == 1, np.sin(t), np.sign(np.sin(t))) + 0.3 * g.standard_normal((n, length))
        np.savetxt(root / name / f'{name}_{split}.tsv', np.column_stack([y, x]), delimiter='\t', fmt='%.5g')


def test_import_is_light_and_help_is_fast(tmp_path):
    code = ("import sys, btvq.report; "
            "print(sorted({'torch', 'matplotlib.pyplot', 'scipy', 'seaborn', 'fastcore'} & set(sys.modules)))")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == '[]'
    r = report('--help', cwd=tmp_path)
    assert r.returncode == 0 and '--data-root' in r.stdout and '--reference {update,refresh,cached}' in r.stdout


def test_cli_writes_report_and_readme(tmp_path):
    make_fake_runs(tmp_path / 'runs', metrics=HEADLINE_METRICS)
    (tmp_path / 'README.md').write_text(f"# p\n{README_START}\n{README_END}\n")
    r = report('--runs', 'runs', '--out', 'results', '--readme', 'README.md', '--aug-dataset', '', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert '8 runs under runs: wrote' in r.stdout
    assert 'reference points of A (n_kmeans=2): not in' in r.stdout   # no data for the fake datasets
    names = sorted(p.name for p in (tmp_path / 'results').iterdir())
    assert names == ['.btvq-report', 'README.md', 'anchors.csv', 'anchors.md', 'comparison.csv', 'comparison.md',
                     'coverage.csv', 'coverage.md', 'headline.csv', 'headline.md', 'reference.csv', 'results.csv',
                     'results.md', 'runs.csv', 'settings.csv', 'settings.md', 'stats.csv', 'stats.md', 'summary.csv', 'trajectories_A_smoke.png',
                     'trajectories_B_smoke.png']
    readme = (tmp_path / 'README.md').read_text()
    assert '| A | smoke | flat/svm_acc | 2 |  |  | 0.505 ± 0.0071 | **0.555 ± 0.0071** |' in readme
    assert '(results/README.md)' in readme
    results = (tmp_path / 'results' / 'README.md').read_text()
    assert 'btvq-report --runs runs --out results --readme README.md' in results
    assert '| VQVAE | gamma=0 |' in results                # the settings' names beside their labels
    assert not (tmp_path / 'reference').exists()   # nothing computed, nothing cached


def test_ablation_is_its_own_column(tmp_path):
    make_fake_runs(tmp_path / 'runs', datasets=('A',), gammas=(0, 1), metrics=HEADLINE_METRICS)
    make_fake_runs(tmp_path / 'runs', datasets=('A',), gammas=(1,), metrics=HEADLINE_METRICS,
                   overrides='model.proj_hidden=256', offset=0.2)
    runs = collect_runs(tmp_path / 'runs')
    assert sorted(runs.label.unique()) == ['gamma=0', 'gamma=1', 'gamma=1,proj_hidden=256']
    ht = headline_table(runs).set_index('metric')
    assert list(ht.columns[3:]) == ['VQVAE', 'BT γ=1 (thesis)', 'BT γ=1, proj_hidden=256']
    assert ht.loc['flat/svm_acc', 'BT γ=1, proj_hidden=256'] == '**0.805 ± 0.0071**'


def test_custom_dataset_gets_reference_points(tmp_path):
    toy_dataset(tmp_path / 'data', 'MyToy')
    make_fake_runs(tmp_path / 'runs', datasets=('MyToy',), gammas=(0, 1), seeds=(0,), metrics=HEADLINE_METRICS)
    r = report('--runs', 'runs', '--out', 'results', '--aug-dataset', '', '--data-root', 'data', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert re.search(r'reference points of MyToy \(n_kmeans=2\): computed in \d+ s', r.stdout)
    peers_line = [line for line in r.stdout.splitlines() if line.startswith('peers not computed')]
    assert peers_line == [f"peers not computed, $BTVQ_PEERS_PYTHON ({tmp_path / 'no-peers-python'}) is no file (`bash "
                          "tools/peers-env.sh` makes .venv-peers; or set $BTVQ_PEERS_PYTHON): MiniRocket: MyToy seeds 0 1 2; "
                          "TS2Vec: MyToy seeds 0 1 2; their columns show what is cached"]   # one line, and the report goes on
    cache = json.loads((tmp_path / 'reference' / 'MyToy.json').read_text())
    assert list(cache['probes']['n_kmeans=2']['untrained']) == ['0']
    headline = (tmp_path / 'results' / 'headline.csv').read_text()
    ht = pd.read_csv(tmp_path / 'results' / 'headline.csv', keep_default_na=False).set_index('metric')
    assert ht.loc['flat/svm_acc', RAW] != '' and ht.loc['flat/svm_acc', UNTRAINED].endswith('(1 seed)')
    assert ht.loc['val_recon', RAW] == '' and ht.loc['val_recon', UNTRAINED] != ''
    r = report('--runs', 'runs', '--out', 'results', '--aug-dataset', '', cwd=tmp_path)   # no data: the cache serves
    assert r.returncode == 0 and 'computed' not in r.stdout
    assert (tmp_path / 'results' / 'headline.csv').read_text() == headline


def test_cached_peers_are_reference_columns(tmp_path):
    "A peers' cache (the layout `btvq.peers` writes) adds MiniRocket and TS2Vec columns, the pipeline check and the cost figure."
    make_fake_runs(tmp_path / 'runs', datasets=('MyToy',), gammas=(0, 1), metrics=HEADLINE_METRICS)
    seed = lambda acc: dict(probe=dict(svm_acc=acc, knn1_acc=acc, knn5_acc=acc), own=dict(acc=acc),
                            seconds=dict(fit=1.0, encode=0.5))
    cache = dict(format=1, dataset='MyToy', data={}, probe=dict(n_kmeans=2),
                 peers=dict(minirocket=dict(versions={}, settings={}, seeds={'0': seed(0.9), '1': seed(0.92)}),
                            ts2vec=dict(versions={}, settings={}, seeds={'0': seed(0.8)})))
    (tmp_path / 'reference' / 'peers').mkdir(parents=True)
    (tmp_path / 'reference' / 'peers' / 'MyToy.json').write_text(json.dumps(cache))
    r = report('--runs', 'runs', '--out', 'results', '--aug-dataset', '', '--reference', 'cached', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    ht = pd.read_csv(tmp_path / 'results' / 'headline.csv', keep_default_na=False).set_index('metric')
    assert list(ht.columns[3:7]) == [RAW, UNTRAINED, 'MiniRocket', 'TS2Vec']
    assert (ht.loc['flat/svm_acc', 'MiniRocket'], ht.loc['flat/svm_acc', 'TS2Vec']) == ('0.910 ± 0.014', '0.800 (1 seed)')
    stats = pd.read_csv(tmp_path / 'results' / 'stats.csv')
    assert set(stats['versus']) == {'VQVAE', 'MiniRocket', 'TS2Vec'}   # no raw or untrained points: cached mode, no cache
    assert {'peers_check.md', 'peers.csv', 'quality_cost_smoke.png'} <= {p.name for p in (tmp_path / 'results').iterdir()}
    text = (tmp_path / 'results' / 'README.md').read_text()
    assert '## MiniRocket and TS2Vec' in text and 'MiniRocket: seeds 0, 1 only (2 missing) on MyToy; TS2Vec: seed 0 only (1, 2 missing) on MyToy' in text


def test_statistics_on_a_constructed_case(tmp_path):
    assert best_beyond_spread([0.80, 0.90], [0.02, 0.01], [3, 3]) == 1      # a known winner
    assert best_beyond_spread([0.86, 0.90], [0.01, 0.05], [3, 3]) is None   # a tie inside the spread
    assert best_beyond_spread([0.10, 0.90], [math.nan, 0.01], [1, 3]) is None   # one seed: never bold
    datasets = [f'D{i}' for i in range(6)]
    make_fake_runs(tmp_path, datasets=datasets, gammas=(0, 1), metrics=HEADLINE_METRICS)
    st = paired_stats(collect_runs(tmp_path)).set_index('metric')
    svm, recon = st.loc['flat/svm_acc'], st.loc['val_recon']
    assert (svm['wins'], svm['ties'], svm['losses'], svm['datasets']) == (6, 0, 0, 6)
    assert svm['p'] == pytest.approx(2 / 2**6) and svm['median_diff'] == pytest.approx(0.1)
    assert (recon['wins'], recon['losses']) == (0, 6)                       # higher loss is worse


def test_main_without_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    main(['--runs', 'missing', '--out', 'results', '--aug-dataset', ''])
    assert 'no runs found under missing' in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / 'results').iterdir()) == ['.btvq-report', 'README.md']


def test_main_names_malformed_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bad = make_fake_runs('runs', datasets=('A',), gammas=(0,), seeds=(0,))[0] / 'metrics.json'
    bad.write_text('{"metrics": ')
    with pytest.raises(ValueError, match=re.escape(f'{bad}: not valid JSON')):
        main(['--runs', 'runs', '--out', 'results', '--strict'])
    assert not (tmp_path / 'results').exists()
    main(['--runs', 'runs', '--out', 'results'])            # without --strict: left out, and listed by name
    text = (tmp_path / 'results' / 'README.md').read_text()
    assert '## Runs with problems' in text and 'A/gamma=0/seed=0/smoke | unreadable, left out of the report' in text


def markdown_outputs(nb) -> list[str]:
    "The Markdown each code cell of `nb` displays (tables and computed prose), in order."
    return [''.join(o['data']['text/markdown']) for c in nb['cells'] if c['cell_type'] == 'code'
            for o in c.get('outputs', []) if 'text/markdown' in o.get('data', {})]


def test_results_notebook_is_current(monkeypatch):
    "nbs/results.ipynb is committed executed: executing it again displays the same tables and prose."
    from execnb.nbio import read_nb
    from execnb.shell import CaptureShell
    path = Path(__file__).parents[1] / 'nbs' / 'results.ipynb'
    committed = markdown_outputs(json.loads(path.read_text()))
    assert committed, f"{path} has no outputs: execute it (see its last cell) and commit it executed"
    monkeypatch.setenv('MPLBACKEND', 'Agg')
    nb = read_nb(path)
    CaptureShell().run_all(nb, exc_stop=True)
    assert markdown_outputs(nb) == committed, f"{path} is stale: execute it again (see its last cell)"
