"""Tables and figures of the diagnosis from its JSON results: runs.csv (one row per joint run), summary.md (the
notebook's two tables), blowup.csv, augment.csv, bt_loss_<dataset>.png (BT loss per step of every setting)."""
from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from btvq.barlow import bt_floor
from btvq.common import atomic_write, markdown_lines

from .settings import CHOSEN

RUN_COLUMNS = ['dataset', 'setting', 'bt_init', 'bt_final', 'bt_ratio', 'bt_first50', 'bt_last50', 'bt_floor',
               'inv_final', 'red_final', 'val_recon', 'test_perplexity', 'seconds', 'cpu_seconds']
MAIN = ('thesis', CHOSEN)


def runs_table(out: Path) -> pd.DataFrame:
    "One row per joint run in `out/runs`: thesis first and the chosen setting last within each dataset."
    rows = []
    for p in sorted((Path(out) / 'runs').glob('*__*.json')):
        if p.name.endswith('.steps.json'): continue
        r = json.loads(p.read_text())
        rows.append(dict(r, setting=r['setting']['name'], bt_init=r['bt_init']['bt'], bt_final=r['bt_final']['bt'],
                         inv_final=r['bt_final']['invariance'], red_final=r['bt_final']['redundancy']))
    df = pd.DataFrame(rows).reindex(columns=RUN_COLUMNS)
    order = df.setting.map(lambda s: (s != 'thesis') + (s == CHOSEN))
    return df.assign(_o=order).sort_values(['dataset', '_o', 'setting']).drop(columns='_o').reset_index(drop=True)


def summary_md(df: pd.DataFrame) -> str:
    "Every setting on ChlorineConcentration; the thesis's and the chosen settings on every dataset."
    f = lambda r: [f"{r.bt_init:.2f}", f"{r.bt_final:.2f} ({r.inv_final:.2f} + {r.red_final:.2f})", f"{r.bt_ratio:.2f}",
                   f"{r.val_recon:.3f}", f"{r.test_perplexity:.1f}"]
    head = ['BT init', 'BT end (inv + red)', 'end / init', 'test recon', 'test perplexity']
    first = markdown_lines(['setting', *head], [[r.setting, *f(r)] for r in df[df.dataset == 'ChlorineConcentration'].itertuples()])
    main = df[df.setting.isin([*MAIN, 'width=1024,proj_lr=1e-5'])]
    second = markdown_lines(['dataset', 'setting', *head, 'wall s', 'CPU s'],
                            [[r.dataset, r.setting, *f(r), f"{r.seconds:.0f}", f"{r.cpu_seconds:.0f}"] for r in main.itertuples()])
    return '\n'.join(first + [''] + second) + '\n'


def plot_runs(df: pd.DataFrame, out: Path) -> list[Path]:
    "BT loss per step (25-step running mean) of every setting, one figure per dataset; thesis and chosen in bold."
    paths = []
    for ds, sub in df.groupby('dataset'):
        fig, ax = plt.subplots(figsize=(7.5, 4.2))
        for r in sub.itertuples():
            steps = json.loads((Path(out) / 'runs' / f"{ds}__{r.setting}.steps.json").read_text())
            bt = pd.Series([s['bt'] for s in steps])
            main = r.setting in MAIN
            line, = ax.plot(bt.index + 1, bt.rolling(25, min_periods=1).mean(), lw=2 if main else 1,
                            alpha=1 if main else 0.6, label=f"{r.setting}: {r.bt_init:.2f} → {r.bt_final:.2f}")
            if main: ax.plot(bt.index + 1, bt, color=line.get_color(), alpha=0.2, lw=0.7)
        for w, ls in ((4096, '--'), (1024, ':')):
            ax.axhline(bt_floor(w, 128, 0.005), color='k', ls=ls, lw=1, label=f'floor, d = {w}')
        ax.set(title=f"{ds}: BT loss, joint training ($\\gamma$ = 1), 25-step mean",
               xlabel='optimiser step', ylabel='$\\mathcal{L}_{BT}$', ylim=(0, None))
        ax.legend(fontsize=7, title='setting: BT at init → end', title_fontsize=7)
        fig.tight_layout()
        path = Path(out) / f"bt_loss_{ds}.png"
        atomic_write(path, lambda f: fig.savefig(f, dpi=110, format='png'))
        plt.close(fig)
        paths.append(path)
    return paths


def blowup_table(out: Path) -> pd.DataFrame:
    "Per setting of the fixed-batch BT-only runs: the loss's path, step-1 update ratios, BatchNorm and collapse statistics."
    rows = []
    for label, r in json.loads((Path(out) / 'blowup.json').read_text())['results'].items():
        s = pd.DataFrame(r['rows']).set_index('step')
        rows.append(dict(setting=label, bt_0=s.bt[1], bt_max=s.bt.max(), step_of_max=int(s.bt.idxmax()), bt_30=s.bt[30],
                         **{f'{k}_step1': s[k][1] for k in s if 'ratio' in k and not k.startswith('lin0_ratio_s')},
                         **{f'{k}_step{t}': s[k][t] for k in ('bn0_batch_var', 'bn1_batch_var', 'relu1_top_pc',
                                                               'embedding_top_pc') for t in (1, 4, 30)}))
    return pd.DataFrame(rows)


def augment_table(out: Path) -> pd.DataFrame:
    "BT loss and its invariance part at initialisation (3 datasets) and after BT-only training (ChlorineConcentration)."
    init = json.loads((Path(out) / 'init.json').read_text())['results']
    aug = json.loads((Path(out) / 'augment.json').read_text())['results']
    rows = []
    for view, r in aug['views'].items():
        row = dict(views=view, **{f"{ds}_init_{k}": v[view][k] for ds, v in init.items() for k in ('bt', 'invariance')})
        rows.append(row | {f"trained_{k}": v for k, v in r['final'].items()})
    return pd.DataFrame(rows)


def write_report(out: Path) -> list[Path]:
    "Every table and figure whose inputs exist in `out`; returns the files written."
    out, written = Path(out), []
    def put(name: str, text: str):
        atomic_write(out / name, lambda f: f.write(text.encode())); written.append(out / name)
    df = runs_table(out)
    if len(df):
        put('runs.csv', df.to_csv(index=False, float_format='%.4g'))
        put('runs.md', '\n'.join(markdown_lines(df.columns, [[f"{v:.3g}" if isinstance(v, float) else v for v in row]
                                                             for row in df.itertuples(index=False)])) + '\n')
        put('summary.md', summary_md(df))
        written += plot_runs(df, out)
    for name, table, needs in (('blowup', blowup_table, ['blowup.json']), ('augment', augment_table, ['init.json', 'augment.json'])):
        if all((out / n).exists() for n in needs): put(f'{name}.csv', table(out).to_csv(index=False, float_format='%.4g'))
    return written
