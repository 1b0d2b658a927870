"""``python -m editor [FILE]``: start the TreeSketch editor."""

import sys

from editor.app import main

if __name__ == "__main__":
    sys.exit(main())
