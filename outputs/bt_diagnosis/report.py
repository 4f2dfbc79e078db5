"""Summaries of the diagnosis: runs.csv (one row per joint run), bt_loss_<dataset>.png, blowup.csv, augment.csv.

python outputs/bt_diagnosis/report.py   (reads the JSON files the other scripts wrote here)
"""
import json

import matplotlib
import numpy as np
import pandas as pd

matplotlib.use('Agg')
import matplotlib.pyplot as plt

from btdiag import HERE

RUN_COLS = ['dataset', 'setting', 'bt_init', 'bt_final', 'bt_ratio', 'bt_first50', 'bt_last50', 'bt_floor',
            'inv_final', 'red_final', 'val_recon', 'test_perplexity', 'seconds', 'cpu_seconds']
CHOSEN = 'width=1024'


def runs_table() -> pd.DataFrame:
    "One row per joint run in runs/, thesis first and the chosen setting last within each dataset."
    rows = []
    for p in sorted((HERE / 'runs').glob('*__*.json')):
        if p.name.endswith('.steps.json'): continue
        r = json.loads(p.read_text())
        rows.append(dict(r, setting=r['setting']['name'], bt_init=r['bt_init']['bt'], bt_final=r['bt_final']['bt'],
                         inv_final=r['bt_final']['invariance'], red_final=r['bt_final']['redundancy']))
    df = pd.DataFrame(rows).reindex(columns=RUN_COLS)
    order = df.setting.map(lambda s: (s != 'thesis') + (s == CHOSEN))
    return df.assign(_o=order).sort_values(['dataset', '_o', 'setting']).drop(columns='_o')


def to_markdown(df: pd.DataFrame) -> str:
    "A markdown table of `df`, numbers with 3 significant digits."
    cell = lambda v: f"{v:.3g}" if isinstance(v, float) else str(v)
    lines = ['| ' + ' | '.join(df.columns) + ' |', '|' + '---|' * len(df.columns)]
    return '\n'.join(lines + ['| ' + ' | '.join(cell(v) for v in row) + ' |' for row in df.itertuples(index=False)])


def summary_md(df: pd.DataFrame) -> str:
    "The two tables of the notebook: every setting on ChlorineConcentration; thesis and chosen on every dataset."
    f = lambda r: (f"{r.bt_init:.2f} | {r.bt_final:.2f} ({r.inv_final:.2f} + {r.red_final:.2f}) | {r.bt_ratio:.2f} | "
                   f"{r.val_recon:.3f} | {r.test_perplexity:.1f}")
    head = '| BT init | BT end (inv + red) | end / init | test recon | test perplexity |'
    out = ['| setting ' + head, '|---' * 6 + '|']
    out += [f"| {r.setting} | {f(r)} |" for r in df[df.dataset == 'ChlorineConcentration'].itertuples()]
    out += ['', '| dataset | setting ' + head + ' wall s | CPU s |', '|---' * 9 + '|']
    cpu = lambda v: '–' if np.isnan(v) else f"{v:.0f}"  # not recorded by the first runs
    out += [f"| {r.dataset} | {r.setting} | {f(r)} | {r.seconds:.0f} | {cpu(r.cpu_seconds)} |"
            for r in df[df.setting.isin(['thesis', CHOSEN, 'width=1024,proj_lr=1e-5'])].itertuples()]
    return '\n'.join(out) + '\n'


def plot_runs(df: pd.DataFrame) -> None:
    "BT loss per step (25-step running mean) of every setting, one figure per dataset; thesis and chosen in bold."
    for ds, sub in df.groupby('dataset'):
        fig, ax = plt.subplots(figsize=(7.5, 4.2))
        for _, r in sub.iterrows():
            steps = json.loads((HERE / 'runs' / f"{ds}__{r.setting}.steps.json").read_text())
            bt = pd.Series([s['bt'] for s in steps])
            main = r.setting in ('thesis', CHOSEN)
            line, = ax.plot(bt.index + 1, bt.rolling(25, min_periods=1).mean(), lw=2 if main else 1,
                            alpha=1 if main else 0.6, label=f"{r.setting}: {r.bt_init:.2f} -> {r.bt_final:.2f}")
            if main: ax.plot(bt.index + 1, bt, color=line.get_color(), alpha=0.2, lw=0.7)
        for w, ls in ((4096, '--'), (1024, ':')):
            ax.axhline(0.005 * (w / 127 - 1), color='k', ls=ls, lw=1, label=f'floor, d = {w}')
        ax.set(title=f"{ds}: BT loss, joint training ($\\gamma$ = 1), 25-step mean",
               xlabel='optimiser step', ylabel='$\\mathcal{L}_{BT}$', ylim=(0, None))
        ax.legend(fontsize=7, title='setting: BT at init -> end', title_fontsize=7)
        fig.tight_layout()
        fig.savefig(HERE / f"bt_loss_{ds}.png", dpi=110)
        plt.close(fig)


def blowup_table() -> pd.DataFrame:
    "Per-setting summary of the fixed-batch BT-only runs: loss path, step-1 update ratios, BN and collapse stats."
    res = json.loads((HERE / 'blowup.json').read_text())['results']
    rows = []
    for label, r in res.items():
        s = pd.DataFrame(r['rows']).set_index('step')
        rows.append(dict(setting=label, bt_0=s.bt[1], bt_max=s.bt.max(), step_of_max=int(s.bt.idxmax()),
                         bt_30=s.bt[30],
                         **{f'{k}_step1': s[k][1] for k in s if 'ratio' in k and not k.startswith('lin0_ratio_s')},
                         **{f'{k}_step{t}': s[k][t] for k in ('bn0_batch_var', 'bn1_batch_var', 'relu1_top_pc',
                                                               'embedding_top_pc') for t in (1, 4, 30)}))
    return pd.DataFrame(rows)


def augment_table() -> pd.DataFrame:
    "BT loss and its parts at initialisation (3 datasets) and after BT-only training (ChlorineConcentration)."
    init = json.loads((HERE / 'init.json').read_text())['results']
    aug = json.loads((HERE / 'augment.json').read_text())['results']
    rows = []
    for view, r in aug['views'].items():
        row = dict(views=view, **{f"{ds}_init_{k}": v[view][k] for ds, v in init.items() for k in ('bt', 'invariance')})
        row.update({f"trained_{k}": v for k, v in r['final'].items()})
        rows.append(row)
    return pd.DataFrame(rows)


if __name__ == '__main__':
    df = runs_table()
    df.to_csv(HERE / 'runs.csv', index=False, float_format='%.4g')
    (HERE / 'runs.md').write_text(to_markdown(df) + '\n')
    (HERE / 'summary.md').write_text(summary_md(df))
    plot_runs(df)
    print(df.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    for name, f in (('blowup', blowup_table), ('augment', augment_table)):
        if (HERE / f'{name}.json').exists() and (name != 'augment' or (HERE / 'init.json').exists()):
            t = f()
            t.to_csv(HERE / f'{name}.csv', index=False, float_format='%.4g')
            print(t.T.to_string(float_format=lambda v: f"{v:.3g}"))
