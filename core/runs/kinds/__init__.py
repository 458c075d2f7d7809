"""One codec per kind of run: how it is saved into, and opened from, a run folder.

Importing this package imports every kind module, and each registers itself with
``core.runs.registry``; ``core.runs`` imports this package, so importing anything under
``core.runs`` registers every kind. A new kind is one module here plus one line below.
"""

# in the order kinds are listed (the Runs page, the import formats)
# isort: off
from core.runs.kinds import forecaster
from core.runs.kinds import text
from core.runs.kinds import sentiment
from core.runs.kinds import compare
# isort: on

__all__ = ["compare", "forecaster", "sentiment", "text"]
