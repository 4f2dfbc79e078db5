"""python -m experiments.bt_diagnosis [joint|measure|report|all] ...  (see --help)"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from btvq.common import atomic_write

from .joint import joint_run, run_path
from .measure import MEASUREMENTS
from .probes import Clock
from .report import write_report
from .settings import JOINT_RUNS, SETTINGS, default_out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog='python -m experiments.bt_diagnosis', description=__doc__)
    p.add_argument('what', choices=['joint', 'measure', 'report', 'all'],
                   help="joint: the joint runs; measure: the fixed-batch measurements; report: tables and figures; all: the three")
    p.add_argument('--runs', nargs='+', metavar='DATASET:SETTING', help=f"joint runs to do (default: the notebook's "
                   f"{len(JOINT_RUNS)}); settings: {', '.join(SETTINGS)}")
    p.add_argument('--measurements', nargs='+', choices=list(MEASUREMENTS), default=list(MEASUREMENTS))
    p.add_argument('--steps', type=int, default=400, help='optimiser steps of a joint run (default: 400)')
    p.add_argument('--out', type=Path, default=None, help='results folder (default: <repo>/outputs/bt_diagnosis)')
    p.add_argument('--data-root', default=None, help='UCR archive root (default: $BTVQ_UCR_DIR)')
    p.add_argument('--force', action='store_true', help='redo results that exist')
    p.add_argument('--dry-run', action='store_true', help='list what would run, run nothing')
    a = p.parse_args(argv)
    out = a.out or default_out()
    runs = [tuple(r.split(':', 1)) for r in a.runs] if a.runs else JOINT_RUNS
    for r in runs:
        if len(r) != 2 or r[1] not in SETTINGS: p.error(f"--runs {':'.join(r)}: expected DATASET:SETTING, settings: {', '.join(SETTINGS)}")
    todo = []
    if a.what in ('measure', 'all'):
        todo += [('measure', m, None) for m in a.measurements if a.force or not (out / f'{m}.json').exists()]
    if a.what in ('joint', 'all'):
        todo += [('joint', ds, s) for ds, s in runs if a.force or not run_path(out, ds, s).exists()]
    print(f"{len(todo)} to do in {out} ({torch.get_num_threads()} thread(s)):", *[' '.join(filter(None, t)) for t in todo],
          sep='\n  ', flush=True)
    if a.dry_run: return 0
    for kind, name, setting in todo:
        if kind == 'joint':
            joint_run(name, setting, steps=a.steps, out=out, data_root=a.data_root)
        else:
            clock = Clock()
            res = MEASUREMENTS[name](root=a.data_root)
            out.mkdir(parents=True, exist_ok=True)
            atomic_write(out / f'{name}.json', lambda f: f.write(json.dumps(dict(clock.record(), results=res), indent=1).encode()))
    if a.what in ('report', 'all'):
        for path in write_report(out): print('wrote', path)
    return 0


if __name__ == '__main__':
    sys.exit(main())
