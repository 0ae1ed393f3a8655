"""labelgate: annotation quality as code.

The Python API (docs/api.md): `labelgate.agreement(df)`, `labelgate.aggregate(df)` and
`labelgate.load_project(path)`, from `labelgate.api` (import them from there for static types).
They load on first use, so `import labelgate` (and the command line, which reads
`__version__`) imports neither pandas nor the engines.
"""

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "aggregate", "agreement", "load_project"]

_API = ("aggregate", "agreement", "load_project")


def __getattr__(name: str) -> "Any":
    """`labelgate.agreement` and friends, taken from `labelgate.api` when first asked for.

    `import_module` rather than an import statement: lower layers read `__version__` from this
    module, and the import contracts must not see them reaching the use cases through it.
    """
    if name in _API:
        from importlib import import_module

        value = getattr(import_module("labelgate.api"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'labelgate' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
