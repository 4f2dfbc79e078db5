"""Experiments built on btvq that are not part of the study's sweep; run each as `python -m experiments.<name>`
from the repository root. Their code lives here, their results under `outputs/<name>/`."""
