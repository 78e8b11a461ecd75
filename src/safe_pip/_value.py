"""A light base for frozen value objects on safe-pip's start-up path.

`dataclasses` costs about 8 ms to import (it pulls in `inspect`), a sixth of safe-pip's whole start-up
budget in front of `pip install`; the modules that run before pip starts use this instead. Elsewhere,
frozen dataclasses are the norm.
"""

from __future__ import annotations

__all__ = ["FrozenValue"]


class FrozenValue:
    """Equality, hashing and repr from `__slots__`; attributes are set once, in `__init__`, via `_set`."""

    __slots__: tuple[str, ...] = ()

    def _set(self, **values: object) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: cannot set {name!r}")

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, FrozenValue) and type(self) is type(other) and self._values() == other._values()
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._values()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"
