"""safe-pip: run pip, and when an install fails, say why and propose the fix."""

# Nothing is imported here: `safe-pip install` sits in front of every pip run and its start-up is budgeted.
__all__ = ["__version__"]

__version__ = "0.1.0"
