"""Deferred loading of the array libraries for the commands that read no data (`lint`, `checks`, `schema`).

The check modules those commands import for their option models import numpy and pyarrow at the top, and
use them only when a check runs; the two libraries take about a third of such a command's start-up.
`defer()` puts a stand-in module in `sys.modules` for each library and its submodules the checks import at
the top. The stand-in executes the real module the first time anything reads one of its attributes
(`np.zeros`, `pc.equal`, `from numpy import ...`), as `importlib.util.LazyLoader` does, so a command that
ends up using the library gets the same module and the same behaviour, later.

It differs from `importlib.util.LazyLoader` in what counts as a read: every `import numpy` statement reads
the module's `__spec__` (to wait for a module another thread is initialising), and a LazyLoader module
executes on any read, so the first import statement runs the whole import. Here what the import system
reads without using the module (`__spec__`, `__name__`, `__path__`, ...) and a submodule deferred with it
(`import pyarrow.compute as pc` reads `compute` from `pyarrow`) are answered without executing it. Loading
keeps the eager order: a package executes before its submodules, and a submodule not deferred that is
imported while its package is deferred executes the package first (`DeferredFinder`). The load holds a
lock: a thread reading a module another thread is loading waits for it to finish. A module that reads
numpy or pyarrow at import time (a module-level `np.uint64(...)`) executes the library on the spot;
tests/test_import_budget.py says so for the modules `lint`, `checks` and `schema` import.

Only the console commands that read no data call `defer()`; `validate`, `filter` and the library API never do."""

from __future__ import annotations

import importlib.util
import sys
import threading
import types
from collections.abc import Sequence
from importlib.machinery import ModuleSpec, SourceFileLoader

# The array libraries and the submodules check modules import at their top (`import pyarrow.compute as pc`).
ARRAYS = ("numpy", "pyarrow", "pyarrow.compute", "pyarrow.ipc", "pyarrow.json")
# What the import system reads from a module without using it; answered from the stand-in.
METADATA = frozenset({"__spec__", "__name__", "__path__", "__package__", "__file__", "__cached__", "__loader__",
                      "__class__"})

_lock = threading.RLock()
_loading: dict[str, int] = {}  # a module being executed -> the thread executing it
_created: dict[str, dict[str, object]] = {}  # a stand-in -> its namespace when it was made


class Deferred(types.ModuleType):
    """A module not executed yet: the first read of an attribute other than METADATA executes it."""

    def __getattribute__(self, attr: str) -> object:
        if attr in METADATA:
            return object.__getattribute__(self, attr)
        name = object.__getattribute__(self, "__name__")
        if _loading.get(name) == threading.get_ident():  # its own code reads it while it executes
            return object.__getattribute__(self, attr)
        child = object.__getattribute__(self, "__dict__").get(attr)
        if isinstance(child, Deferred) and sys.modules.get(f"{name}.{attr}") is child:
            return child
        load(self)
        return getattr(self, attr)

    def __delattr__(self, attr: str) -> None:
        load(self)
        delattr(self, attr)


def pending(module: object) -> bool:
    """Whether `module` is a stand-in whose module has not started executing."""
    return isinstance(module, Deferred) and object.__getattribute__(module, "__name__") not in _loading


def load(module: types.ModuleType) -> None:
    """Execute a stand-in's module in place (its package first), once; other threads wait until it is done."""
    with _lock:
        if not pending(module):
            return
        name = object.__getattribute__(module, "__name__")
        package = sys.modules.get(name.rpartition(".")[0])
        if package is not None and pending(package):
            load(package)
            if not pending(module):  # the package's own code loaded it
                return
        namespace = object.__getattribute__(module, "__dict__")
        created = _created.pop(name)
        # What was set on the stand-in since (a submodule imported meanwhile) was set after the module ran.
        later = {k: v for k, v in namespace.items() if k not in created or created[k] is not v}
        spec: ModuleSpec = object.__getattribute__(module, "__spec__")
        _loading[name] = threading.get_ident()
        try:
            assert spec.loader is not None
            spec.loader.exec_module(module)
        except BaseException:
            if sys.modules.get(name) is module:  # as a failed import: gone from sys.modules
                del sys.modules[name]
            raise
        finally:
            del _loading[name]
            module.__class__ = types.ModuleType
        namespace.update(later)


class DeferredFinder:
    """Imports of a submodule whose package is still deferred: the package executes first, then the import
    proceeds as usual (the finders after this one find it)."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: types.ModuleType | None = None) -> ModuleSpec | None:
        package = sys.modules.get(fullname.rpartition(".")[0]) if "." in fullname else None
        if package is not None and pending(package):
            load(package)
        return None


def _spec(name: str) -> ModuleSpec | None:
    """The module's spec found without importing anything (a submodule's search starts in its package)."""
    package, _, _ = name.rpartition(".")
    if not package:
        return importlib.util.find_spec(name)
    parent = sys.modules.get(package)
    where = object.__getattribute__(parent, "__path__") if parent is not None else None
    for finder in sys.meta_path:
        if where is not None and not isinstance(finder, DeferredFinder) and hasattr(finder, "find_spec"):
            spec: ModuleSpec | None = finder.find_spec(name, where)
            if spec is not None:
                return spec
    return None


def defer(names: Sequence[str] = ARRAYS) -> list[str]:
    """Put a stand-in in `sys.modules` for each named module not imported yet (a package before its
    submodules); returns the names deferred. A module that is not plain Python source is left alone."""
    deferred = []
    for name in names:
        package, _, child = name.rpartition(".")
        if name in sys.modules or (package and not isinstance(sys.modules.get(package), Deferred)):
            continue
        spec = _spec(name)
        if spec is None or not isinstance(spec.loader, SourceFileLoader):
            continue
        module = importlib.util.module_from_spec(spec)
        module.__class__ = Deferred
        _created[name] = dict(object.__getattribute__(module, "__dict__"))
        sys.modules[name] = module
        if package:
            setattr(sys.modules[package], child, module)
        deferred.append(name)
    if deferred and not any(isinstance(f, DeferredFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, DeferredFinder())
    return deferred
