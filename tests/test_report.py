"""The report command line: `python -m btvq.report` (the notebook's `__main__` guard cell is not run by nbdev_test) and `main`."""
import os
import re
import subprocess
import sys

import pytest

from btvq.report import HEADLINE_METRICS, README_END, README_START, main, make_fake_runs


def report(*args: str, cwd) -> subprocess.CompletedProcess:
    "Run the report command line in `cwd` with a non-interactive matplotlib backend."
    env = dict(os.environ, MPLBACKEND='Agg')
    return subprocess.run([sys.executable, '-m', 'btvq.report', *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_cli_writes_report_and_readme(tmp_path):
    make_fake_runs(tmp_path / 'runs', metrics=HEADLINE_METRICS)
    (tmp_path / 'README.md').write_text(f"# p\n{README_START}\n{README_END}\n")
    r = report('--runs', 'runs', '--out', 'results', '--readme', 'README.md', '--aug-dataset', '', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert '8 runs under runs: wrote' in r.stdout
    names = sorted(p.name for p in (tmp_path / 'results').iterdir())
    assert names == ['.btvq-report', 'README.md', 'comparison.csv', 'comparison.md', 'headline.csv', 'headline.md',
                     'metrics_vs_gamma_test.png', 'results.csv', 'results.md', 'runs.csv', 'summary.csv',
                     'trajectories_A_test.png', 'trajectories_B_test.png']
    readme = (tmp_path / 'README.md').read_text()
    assert '| A | test | flat/svm_acc | 2 |' in readme and '(results/README.md)' in readme
    assert 'python -m btvq.report --runs runs --out results --readme README.md' in (tmp_path / 'results' / 'README.md').read_text()


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
        main(['--runs', 'runs', '--out', 'results'])
    assert not (tmp_path / 'results').exists()
