"""`python -m minigrad ...`: the same as the `minigrad` command (see minigrad/cli.py)."""

import sys

from minigrad.cli import main

sys.exit(main())
