"""``python -m inference``: the headless TreeSketch command line
(see :mod:`inference.cli.commands`)."""

import sys

from inference.cli.commands import main

if __name__ == "__main__":
    sys.exit(main())
