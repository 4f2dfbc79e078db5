"`python -m btvq.report`: the `btvq-report` command line (`btvq.report.cli.main`)."
from .cli import main

if __name__ == '__main__': main()
