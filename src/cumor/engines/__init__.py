"""Spectrum engines behind one interface, looked up by name.

>>> engine = get_engine("feff", {"cluster_radius": 6.0})   # doctest: +SKIP
>>> spectrum = engine.compute(atoms, absorber=0, workdir=path)  # doctest: +SKIP

Engines are registered as ``"module:Class"`` strings and imported only when
requested, so a machine without FEFF can still use another engine (and
importing :mod:`cumor.engines` stays cheap).  Adding FDMNES later is one line
in :data:`ENGINES`: ``"fdmnes": "cumor.engines.fdmnes:FdmnesEngine"``, where
the class subclasses :class:`~cumor.engines.base.SpectrumEngine` and takes
its settings dict as the only constructor argument.
"""

from __future__ import annotations

import importlib

from cumor.engines.base import (
    AbsorberSpectrum,
    EngineError,
    SpectrumEngine,
    cluster_around,
    compute_average_spectrum,
)

__all__ = [
    "ENGINES",
    "available_engines",
    "get_engine",
    "AbsorberSpectrum",
    "EngineError",
    "SpectrumEngine",
    "cluster_around",
    "compute_average_spectrum",
]

#: Engine name -> ``"module:Class"`` of its :class:`SpectrumEngine`.
ENGINES: dict[str, str] = {
    "feff": "cumor.engines.feff:FeffEngine",
    "fdmnes": "cumor.engines.fdmnes:FdmnesEngine",
}


def available_engines() -> list[str]:
    """Names accepted by :func:`get_engine`, sorted.

    Returns
    -------
    list of str
    """
    return sorted(ENGINES)


def get_engine(name: str, settings: dict | None = None) -> SpectrumEngine:
    """Instantiate the engine registered under ``name``.

    Parameters
    ----------
    name : str
        Engine name, case-insensitive (``"feff"``).
    settings : dict, optional
        Engine-specific settings, validated by the engine's constructor.

    Returns
    -------
    SpectrumEngine

    Raises
    ------
    ValueError
        If ``name`` is not a known engine (the message lists the known
        ones), or the settings are invalid.
    """
    key = str(name).strip().lower()
    if key not in ENGINES:
        raise ValueError(
            f"unknown spectrum engine {name!r}; known engines: {', '.join(available_engines())}"
        )
    module_name, class_name = ENGINES[key].split(":")
    engine_class = getattr(importlib.import_module(module_name), class_name)
    return engine_class(settings or {})


def check_engine_ready(name: str, settings: dict | None = None) -> SpectrumEngine:
    """Fail fast: validate the engine's settings and that its program can run.

    Called by the workflow before any job, so a missing FDMNES or a typo in an
    engine setting stops the run with a clear message instead of failing job by job.

    Returns
    -------
    SpectrumEngine
        The ready engine.

    Raises
    ------
    ValueError
        Unknown engine or invalid settings.
    EngineError
        The engine's external program is missing (the message says how to point to it).
    """
    engine = get_engine(name, settings)
    engine.check_available()
    return engine
