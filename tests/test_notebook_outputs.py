"""Library notebooks keep the outputs of their cells tagged `show` (a table, a shape, a figure); re-executed, each such
cell must still show what the notebook keeps (`tools/shown_outputs.py`)."""
import importlib.util
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location('shown_outputs', Path(__file__).parents[1] / 'tools' / 'shown_outputs.py')
shown = importlib.util.module_from_spec(spec)
spec.loader.exec_module(shown)


def test_some_notebooks_keep_outputs():
    assert len(shown.notebooks_with_shown_cells()) >= 5


@pytest.mark.parametrize('path', shown.notebooks_with_shown_cells(), ids=lambda p: p.name)
def test_kept_outputs_match_a_fresh_run(path):
    problems = shown.check(path)
    assert not problems, '\n'.join(problems) + '\n(update them with `python tools/shown_outputs.py write <notebook>`)'


def test_a_changed_output_is_caught(tmp_path):
    nb = (shown.NBS / '05_barlow.ipynb').read_text().replace('0.315}', '0.316}')
    assert '0.316}' in nb
    (tmp_path / '05_barlow.ipynb').write_text(nb)
    assert any('0.316' in p for p in shown.check(tmp_path / '05_barlow.ipynb'))
