"""The results report by role: wording (numbers into words), collect (run folders), reference (reference points), stats (over seeds and datasets), tables, plots, cli (README, `write_report`, `btvq-report`), prose (the results chapter's paragraphs)."""
# Written by hand (nbdev writes no package __init__); the eight modules are exported from nbs/11_report.ipynb.
from . import cli, collect, plots, prose, reference, stats, tables, wording
from .wording import *
from .collect import *
from .reference import *
from .stats import *
from .tables import *
from .plots import *
from .cli import *
from .prose import *
from ..config import setting_name, setting_order   # the settings' names and order, public here too

__all__ = [*wording.__all__, *collect.__all__, *reference.__all__, *stats.__all__, *tables.__all__, *plots.__all__,
           *cli.__all__, *prose.__all__]
