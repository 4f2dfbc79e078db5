"""The results report by role: collect (run folders), reference (reference points), stats (over seeds and datasets), tables, plots, cli (README, `write_report`, `btvq-report`)."""
# Written by hand (nbdev writes no package __init__); the six modules are exported from nbs/11_report.ipynb.
from . import cli, collect, plots, reference, stats, tables
from .collect import *
from .reference import *
from .stats import *
from .tables import *
from .plots import *
from .cli import *
from ..config import setting_name, setting_order   # nbs/results.ipynb imports these two from here

__all__ = [*collect.__all__, *reference.__all__, *stats.__all__, *tables.__all__, *plots.__all__, *cli.__all__]
