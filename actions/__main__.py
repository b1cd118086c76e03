"""``python -m actions``: see :mod:`actions.cli`."""

import sys

from actions.cli import main

sys.exit(main())
