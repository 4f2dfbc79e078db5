"""Outputs that library notebooks keep: cells tagged `show` (cell metadata `tags`) keep what they display — a shape,
a table, a figure — so a reader sees it in JupyterLab or on GitHub without running anything; every other output is
dropped. `check` re-executes a notebook as `nbdev_test` does (cells flagged slow or gpu skipped, one thread) and
lists every kept text output that no longer matches; figures are checked for presence (their bytes depend on the
plotting library's version).

    python tools/shown_outputs.py write nbs/05_barlow.ipynb ...   # execute, keep the tagged cells' outputs
    python tools/shown_outputs.py check [NOTEBOOK ...]            # default: every notebook with a tagged cell
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

NBS = Path(__file__).resolve().parents[1] / 'nbs'
TAG, SKIP_FLAGS = 'show', {'slow', 'gpu'}
TEXT = ('text/plain', 'text/markdown', 'text/html')


def tagged(cell: dict) -> bool:
    "Whether a cell keeps its outputs."
    return TAG in cell.get('metadata', {}).get('tags', [])


def notebooks_with_shown_cells() -> list[Path]:
    "Library notebooks with at least one tagged cell."
    return [p for p in sorted(NBS.glob('*.ipynb')) if any(map(tagged, json.loads(p.read_text())['cells']))]


def execute(path: Path) -> dict[str, list]:
    "Run the notebook as `nbdev_test` does; the outputs of its tagged cells by cell id."
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    os.environ.setdefault('MPLBACKEND', 'Agg')
    from execnb.nbio import read_nb
    from execnb.shell import CaptureShell
    from fastcore.xtras import working_directory
    from nbdev.process import NBProcessor
    nb = NBProcessor(path, process=True).nb
    skip = lambda c: c.cell_type != 'code' or bool(SKIP_FLAGS & (getattr(c, 'directives_', {}) or {}).keys())
    shell = CaptureShell(path)
    with working_directory(path.parent): shell.run_all(nb, exc_stop=True, preproc=skip)
    raw = read_nb(path)
    return {c.id: [dict(o) for o in nc.get('outputs', [])] for c, nc in zip(raw.cells, nb.cells) if tagged(c)}


def _plain(outputs: list) -> list:
    "Outputs as the notebook file stores them (no execution counts or metadata)."
    keep = []
    for o in outputs:
        o = {k: v for k, v in dict(o).items() if k not in ('execution_count', 'metadata')}
        if o.get('output_type') == 'execute_result': o = dict(o, output_type='display_data')
        keep.append(dict(o, metadata={}) if o.get('output_type') == 'display_data' else o)
    return json.loads(json.dumps(keep))


def write(path: Path) -> int:
    "Execute `path` and store its tagged cells' outputs (others cleared); the number of cells kept."
    shown = execute(path)
    nb = json.loads(path.read_text())
    for c in nb['cells']:
        if c['cell_type'] == 'code': c['outputs'] = _plain(shown[c['id']]) if c['id'] in shown else []
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
    return len(shown)


def _text(outputs: list) -> list:
    "What is compared: stream text and text representations; a figure as the word 'image'."
    out = []
    for o in outputs:
        if o.get('output_type') == 'stream': out.append(''.join(o['text']))
        data = o.get('data', {})
        if 'image/png' in data: out.append('image')
        else: out += [''.join(data[k]) for k in TEXT if k in data][:1]
    return out


def check(path: Path) -> list[str]:
    "Differences between the kept outputs of `path` and those of a fresh execution (empty: they match)."
    nb = json.loads(path.read_text())
    fresh = execute(path)
    problems = []
    for c in nb['cells']:
        if c['id'] not in fresh: continue
        kept, now = _text(c.get('outputs', [])), _text(fresh[c['id']])
        if not kept: problems.append(f"{path.name} cell {c['id']}: tagged '{TAG}' but keeps no output (run `write`)")
        elif kept != now: problems.append(f"{path.name} cell {c['id']}: kept {kept!r:.300} but now shows {now!r:.300}")
    return problems


if __name__ == '__main__':
    what, *names = sys.argv[1:] or ['check']
    paths = [Path(n) for n in names] or notebooks_with_shown_cells()
    if what == 'write':
        for p in paths: print(f"{p}: {write(p)} cell(s) keep their outputs")
    elif what == 'check':
        problems = [m for p in paths for m in check(p)]
        print('\n'.join(problems) or f"kept outputs match in {len(paths)} notebook(s)")
        sys.exit(bool(problems))
    else: sys.exit(__doc__)
