"""``python -m app.policy``: see :mod:`app.policy.cli`."""

import sys

from app.policy.cli import main

sys.exit(main())
