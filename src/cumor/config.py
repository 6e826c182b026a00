"""Config checks that a JSON schema cannot express, and the structure table.

The workflow validates ``config/config.yaml`` against
``workflow/schemas/config.schema.yaml`` (types, defaults, unknown keys) and then
calls :func:`check_config` so that every mistake is reported before any job runs,
with the offending key and value in the message.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cumor.models import MIN_CU_AL, GridPoint, grid_segments, model_grid
from cumor.rings import KNOWN_RING_LABELS


class ConfigError(ValueError):
    """A config value that cannot work; the message names key and value."""


def selected_models(config: dict) -> list[str]:
    """Names of the models to run (``select.models``), in catalogue order."""
    catalogue = config.get("models", {})
    chosen = config.get("select", {}).get("models", "all")
    if chosen == "all":
        return list(catalogue)
    unknown = [m for m in chosen if m not in catalogue]
    if unknown:
        raise ConfigError(
            f"select.models: unknown model(s) {unknown}; the catalogue (models:) has "
            f"{sorted(catalogue)}"
        )
    return list(chosen)


def check_config(config: dict) -> None:
    """Raise :class:`ConfigError` on the first value that cannot work.

    Checks the selected models (known, grid ranges ordered, known ring labels)
    and that at least one model is selected. Engine names and the force field are
    checked by their own modules (:func:`cumor.engines.get_engine`,
    :func:`cumor.relax.forcefield_from_config`).
    """
    names = selected_models(config)
    if not names:
        raise ConfigError("models: the catalogue is empty; nothing to run")
    for name in names:
        _check_model(name, config["models"][name])
    _check_figure_models(config)


def _check_figure_models(config: dict) -> None:
    """Models named under ``figures`` must be in the catalogue (a typo is an error;
    a catalogue model that is not selected is only skipped by the figure)."""
    figures = config.get("figures", {})
    catalogue = config.get("models", {})
    named = {
        "figures.convergence.model": [figures.get("convergence", {}).get("model")],
        "figures.example_spectra.models": figures.get("example_spectra", {}).get("models", []),
        "figures.engine_comparison.models": (
            [] if figures.get("engine_comparison", {}).get("models", "all") == "all"
            else figures["engine_comparison"]["models"]
        ),
    }
    for key, models in named.items():
        unknown = [m for m in models if m is not None and m not in catalogue]
        if unknown:
            raise ConfigError(f"{key}: unknown model(s) {unknown}; not in the catalogue (models:)")


def _check_model(name: str, spec: dict) -> None:
    key = f"models.{name}"
    if spec["ring"] not in KNOWN_RING_LABELS:
        raise ConfigError(
            f"{key}.ring: unknown ring {spec['ring']!r}; known: {list(KNOWN_RING_LABELS)}"
        )
    for k, segment in enumerate(grid_segments(spec["grid"])):
        where = f"{key}.grid" + (f".segments[{k}]" if "segments" in spec["grid"] else "")
        cu_al = segment["cu_al"]
        if cu_al["min"] > cu_al["max"]:
            raise ConfigError(
                f"{where}.cu_al: min {cu_al['min']} is larger than max {cu_al['max']}"
            )
        if cu_al["min"] < MIN_CU_AL:
            raise ConfigError(
                f"{where}.cu_al: min {cu_al['min']} A is below {MIN_CU_AL} A, closer than a Cu "
                "bound to O of the AlO4 can come to the Al (see `cu_al_reading` in config/config.yaml)"
            )
    for ring_key in ("al2_ring",):
        if ring_key in spec and spec[ring_key] not in KNOWN_RING_LABELS:
            raise ConfigError(
                f"{key}.{ring_key}: unknown ring {spec[ring_key]!r}; known: {list(KNOWN_RING_LABELS)}"
            )
    if spec["n_cu"] > 1 and "separation" not in spec and "al2_ring" not in spec:
        raise ConfigError(f"{key}: n_cu {spec['n_cu']} needs `separation` or `al2_ring` for the second Al")
    suffix = f"_{spec['n_cu']}Cu"
    if not name.endswith(suffix):
        raise ConfigError(f"{key}: n_cu is {spec['n_cu']} but the name does not end in {suffix!r}")


def structure_table(config: dict) -> list[GridPoint]:
    """Every (model, grid point) the config asks for, honouring ``select``."""
    keep = config.get("select", {}).get("max_points_per_model")
    table = []
    for name in selected_models(config):
        points = model_grid(name, config["models"][name])
        if keep is not None and keep < len(points):
            picks = np.unique(np.round(np.linspace(0, len(points) - 1, keep)).astype(int))
            points = [points[i] for i in picks]
        table.extend(points)
    return table


def batch_label(index: int) -> str:
    """Name of a model's ``index``-th batch of grid points (``b000``, ``b001``, ...)."""
    return f"b{index:03d}"


def batch_table(
    structures: list[GridPoint], points_per_job: int
) -> dict[tuple[str, str], list[GridPoint]]:
    """Split every model's grid points into batches: one Snakemake job per batch.

    Snakemake's cost per job (building the DAG, starting Python, importing the
    stack) rivals a seconds-long structure or relaxation step, so each job of the
    structure / relax / xanes stages handles ``points_per_job`` consecutive grid
    points of one model.

    Parameters
    ----------
    structures : list of GridPoint
        From :func:`structure_table`, in model order.
    points_per_job : int
        Grid points per batch (>= 1); a model's last batch may hold fewer.

    Returns
    -------
    dict
        ``(model, batch label) -> grid points``, in the order of ``structures``.
    """
    if points_per_job < 1:
        raise ConfigError(f"points_per_job: must be >= 1, got {points_per_job}")
    by_model: dict[str, list[GridPoint]] = {}
    for point in structures:
        by_model.setdefault(point.model, []).append(point)
    table = {}
    for model, points in by_model.items():
        for start in range(0, len(points), points_per_job):
            label = batch_label(start // points_per_job)
            table[(model, label)] = points[start : start + points_per_job]
    return table


# --------------------------------------------------------------- --config overrides

#: YAML's spellings of null and of the booleans (YAML 1.1, as ``yaml.safe_load`` reads
#: a config file), for strings that Snakemake's ``--config`` leaves unparsed.
_NULLS = {"null", "Null", "NULL", "~"}
_TRUE = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"}
_FALSE = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"}


def load_schema(path) -> dict:
    """The workflow's config schema (YAML) as a dict."""
    import yaml

    with open(path) as handle:
        return yaml.safe_load(handle)


def coerce_config(config: dict, schema: dict) -> dict:
    """Turn strings into the numbers, booleans and nulls the schema types them as.

    Snakemake parses a nested ``--config`` value with YAML's base loader, which
    leaves every scalar a string: ``--config ml='{epochs: 200}'`` gives
    ``{"epochs": "200"}`` and the schema then rejects ``'200'`` as not an
    integer. This walks the config along the schema (``properties``,
    ``additionalProperties``, ``items``, ``$ref``, ``oneOf`` / ``anyOf``) and
    replaces a string by the value a YAML config file would have
    given, where the schema allows that type at that place:

    * ``integer``: ``"200"`` -> 200;
    * ``number``: ``"0.5"``, ``"1e-3"`` -> float (``"6"`` -> 6), finite only;
    * ``boolean``: ``"true"`` / ``"false"`` (and YAML 1.1's yes/no, on/off);
    * ``null``: ``"null"``, ``"~"`` (``""`` too where a string is not allowed).

    A string stays a string where the schema allows a string and nothing
    else fits (``class: "12"`` stays ``"12"``), and a value the schema does not
    type (or a string no type fits) is left unchanged, so validation still
    reports it with its key.

    Parameters
    ----------
    config : dict
        The merged config (config files plus ``--config``), changed in place.
    schema : dict
        The workflow's JSON schema (:func:`load_schema`).

    Returns
    -------
    dict
        ``config`` itself.
    """
    coerced = _coerce(config, schema, schema)
    if coerced is not config:  # a dict is coerced in place; keep the caller's object
        config.clear()
        config.update(coerced)
    return config


def _resolve_ref(schema: dict, root: dict) -> dict:
    """Follow local ``$ref`` (``#/$defs/...``) until a schema without one."""
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/") or seen > 20:
            return {}
        target = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        schema, seen = target, seen + 1
    return schema if isinstance(schema, dict) else {}


def _alternatives(schema: dict, root: dict) -> list[dict]:
    """The schema itself, or the branches of its ``oneOf`` / ``anyOf`` (each resolved)."""
    schema = _resolve_ref(schema, root)
    branches = schema.get("oneOf") or schema.get("anyOf")
    if not branches:
        return [schema]
    own = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
    result = []
    for branch in branches:
        for alt in _alternatives(branch, root):
            result.append({**own, **alt})
    return result


def _types(schema: dict) -> set[str]:
    """JSON types a (resolved) schema allows; from ``type``, ``const`` or ``enum``."""
    kind = schema.get("type")
    if kind is not None:
        return set(kind) if isinstance(kind, list) else {kind}
    values = [schema["const"]] if "const" in schema else schema.get("enum", [])
    return {_json_type(v) for v in values}


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _coerce_string(value: str, types: set[str]):
    """The typed value of a ``--config`` string, or the string itself."""
    text = value.strip()
    if "null" in types and (text in _NULLS or (text == "" and "string" not in types)):
        return None
    if "boolean" in types:
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    if types & {"integer", "number"}:
        try:
            return int(text)
        except ValueError:
            pass
    if "number" in types:
        try:
            number = float(text)
        except ValueError:
            number = None
        if number is not None and np.isfinite(number):
            return number
    return value


def _coerce(value, schema: dict, root: dict):
    alternatives = _alternatives(schema, root)
    if isinstance(value, str):
        types = set().union(*(_types(alt) for alt in alternatives))
        return value if types <= {"string"} else _coerce_string(value, types)
    if isinstance(value, dict):
        return _coerce_container(value, alternatives, root, _coerce_mapping)
    if isinstance(value, list):
        return _coerce_container(value, alternatives, root, _coerce_items)
    return value


def _coerce_container(value, alternatives: list[dict], root: dict, walk):
    """A dict or list under the first alternative it validates against after coercion.

    With one alternative (the usual case) the container is coerced in place.
    With several (``oneOf``), each is tried on a copy; the first that validates
    wins, else the first one's coercion is kept (validation then names the key).
    """
    if len(alternatives) == 1:
        return walk(value, alternatives[0], root)
    import copy

    from jsonschema import Draft202012Validator

    candidates = [walk(copy.deepcopy(value), alt, root) for alt in alternatives]
    for alt, candidate in zip(alternatives, candidates):
        validator = Draft202012Validator({**alt, "$defs": root.get("$defs", {})})
        if validator.is_valid(candidate):
            break
    else:
        candidate = candidates[0]
    if isinstance(value, dict):
        value.clear()
        value.update(candidate)
    else:
        value[:] = candidate
    return value


def _coerce_mapping(value: dict, schema: dict, root: dict) -> dict:
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    for key in list(value):
        sub = properties.get(key, extra if isinstance(extra, dict) else None)
        if sub is not None:
            value[key] = _coerce(value[key], sub, root)
    return value


def _coerce_items(value: list, schema: dict, root: dict) -> list:
    items = schema.get("items")
    if isinstance(items, dict):
        value[:] = [_coerce(item, items, root) for item in value]
    return value


#: The workflow's config schema in a source checkout (what ``common.smk`` validates against).
DEFAULT_SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


def validated_config(path, schema=DEFAULT_SCHEMA) -> dict:
    """A config file as the workflow sees it: typed, validated with defaults, checked.

    The same three steps as ``workflow/rules/common.smk`` (:func:`coerce_config`,
    Snakemake's ``validate(..., set_default=True)``, :func:`check_config`), so tests
    and tools build exactly the structures the rules build.
    """
    import yaml
    from snakemake.utils import validate

    schema = Path(schema)
    if not schema.is_file():
        raise FileNotFoundError(f"{schema}: the workflow's config schema is not there (a source checkout is needed)")
    config = yaml.safe_load(Path(path).read_text())
    coerce_config(config, load_schema(schema))
    validate(config, str(schema), set_default=True)
    check_config(config)
    return config
