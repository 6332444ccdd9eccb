"""Importing LanceDB, on first use and without the REST namespace client it never calls here.

`lancedb` imports `lance_namespace`, whose models come from `lance_namespace_urllib3_client`;
that package's `__init__` also imports its nine REST API classes, 366 methods each wrapped in
pydantic's `validate_call`. On vaultofknowledge's 2-core machine they took 0.7 s of the 1.3 s
import and 13 MB of every process's memory, for a client that only a `lancedb.connect` to a
REST namespace would use. The package is registered unexecuted, so its submodules (the models
`lance_namespace` needs) import as usual; the first access to anything its `__init__` defines
runs that `__init__` in full, so nothing is missing, only deferred.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from types import ModuleType
from typing import Any

REST_CLIENT = "lance_namespace_urllib3_client"
_registering = threading.Lock()  # a server's threads may open stores at the same time


def load_lancedb() -> ModuleType:
    """The `lancedb` module (1-2 s the first time: `--help` and a server's handshake never pay
    for it)."""
    with _registering:
        _defer_package_init(REST_CLIENT)
    import lancedb

    return lancedb


def _defer_package_init(name: str) -> None:
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return
    package = importlib.util.module_from_spec(spec)

    def run_init(attribute: str) -> Any:
        """PEP 562: called for a name the package does not have yet."""
        package.__dict__.pop("__getattr__", None)
        spec.loader.exec_module(package)  # type: ignore[union-attr]
        return getattr(package, attribute)

    package.__dict__["__getattr__"] = run_init
    sys.modules[name] = package
