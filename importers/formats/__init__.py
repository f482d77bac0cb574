"""Source readers: one module per format, each exposing ``read(location, options) -> Batch``.

``location`` is a path (file or folder) or a URL; ``options`` is a :class:`ReadOptions`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from importers.records import Batch


@dataclass
class ReadOptions:
    mapping: str | None = None  # path of a column-mapping file (format "csv")
    offline: bool = False  # sociale-kaart: read saved responses instead of calling the API
    extra: dict[str, Any] = field(default_factory=dict)


Reader = Callable[[str, ReadOptions], Batch]

# Filled in by register(); see the bottom of this module.
FORMATS: dict[str, Reader] = {}


def register(name: str) -> Callable[[Reader], Reader]:
    def deco(fn: Reader) -> Reader:
        FORMATS[name] = fn
        return fn

    return deco


def load_all() -> dict[str, Reader]:
    """Import every reader module so they register themselves."""
    import importlib
    import pkgutil

    for mod in pkgutil.iter_modules(__path__):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{__name__}.{mod.name}")
    return FORMATS
