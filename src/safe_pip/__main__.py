"""`python -m safe_pip` behaves exactly like the `safe-pip` command."""

from safe_pip.cli import run

run()
