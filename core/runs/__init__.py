"""Runs on disk: the store (a folder per run), its meta.json schema, its limits, the
registry of run kinds, one codec per kind (``kinds/``) and the checkpoint formats
(``formats/``). Importing this package registers every kind (see ``core.runs.kinds``).
"""

import core.runs.kinds  # noqa: F401  (each kind module registers itself)
