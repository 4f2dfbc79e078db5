"""Every notebook opens in JupyterLab without a kernel dialog, and the executed chapter shows its figures."""
import json
from pathlib import Path

import pytest

NBS = sorted((Path(__file__).parents[1] / 'nbs').glob('*.ipynb'))


@pytest.mark.parametrize('path', NBS, ids=lambda p: p.name)
def test_notebook_names_its_kernel(path):
    meta = json.loads(path.read_text())['metadata']
    assert meta.get('kernelspec', {}).get('name') == 'python3', f"{path.name}: no kernelspec (JupyterLab asks for one)"
    assert meta.get('language_info', {}).get('name') == 'python', f"{path.name}: no language_info"


def test_chapter_shows_every_figure_as_an_image():
    nb = json.loads((Path(__file__).parents[1] / 'nbs' / 'results.ipynb').read_text())
    texts = [''.join(o.get('data', {}).get('text/plain', '')) for c in nb['cells'] if c['cell_type'] == 'code'
             for o in c.get('outputs', []) if 'image/png' not in o.get('data', {})]
    shown = [t for t in texts if t.startswith('<Figure size')]
    assert not shown, f"results.ipynb has {len(shown)} figure(s) shown as text, not as images: {shown[:2]}"
