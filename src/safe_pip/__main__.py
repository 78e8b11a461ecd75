"""`python -m safe_pip` behaves exactly like the `safe-pip` command."""

import sys

from safe_pip.cli import main

sys.exit(main())
