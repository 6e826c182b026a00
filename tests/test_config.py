import copy
from pathlib import Path

import pytest
import yaml

from cumor.config import ConfigError, check_config, selected_models, structure_table
from cumor.rings import KNOWN_RING_LABELS

ROOT = Path(__file__).parents[1]
CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def test_default_config_passes():
    check_config(CONFIG)


def test_known_ring_labels_match_the_ring_finder(mor_rings):
    assert {r.label for r in mor_rings} == set(KNOWN_RING_LABELS)


def test_unknown_selected_model_named():
    config = copy.deepcopy(CONFIG)
    config["select"] = {"models": ["12.5_1Cu", "13.1_1Cu"]}
    with pytest.raises(ConfigError, match="13.1_1Cu"):
        selected_models(config)


def test_min_above_max_named():
    config = copy.deepcopy(CONFIG)
    config["models"]["8_1Cu"]["grid"]["cu_al"] = {"min": 4.0, "max": 3.0, "n": 3}
    with pytest.raises(ConfigError, match=r"models.8_1Cu.grid.cu_al: min 4.0"):
        check_config(config)


def test_cu_al_below_the_possible_minimum_named():
    config = copy.deepcopy(CONFIG)
    config["models"]["6.12_2Cu"]["grid"]["cu_al"] = {"min": 1.82, "max": 2.82, "n": 10}
    with pytest.raises(ConfigError, match=r"models.6.12_2Cu.grid.cu_al: min 1.82 A is below 2.4 A"):
        check_config(config)


def test_validated_config_is_what_the_rules_see():
    from cumor.config import validated_config

    config = validated_config(ROOT / "config" / "config.yaml")
    spec = config["models"]["8.12_1Cu"]
    assert spec["class_check"] is True and spec["free_drift"] is None  # schema defaults filled


def test_unknown_ring_named():
    config = copy.deepcopy(CONFIG)
    config["models"]["8_1Cu"]["ring"] = "9.12"
    with pytest.raises(ConfigError, match=r"models.8_1Cu.ring: unknown ring '9.12'"):
        check_config(config)


def test_subsampling_keeps_ends():
    config = copy.deepcopy(CONFIG)
    config["select"] = {"models": ["8_1Cu"], "max_points_per_model": 4}
    table = structure_table(config)
    full = structure_table({**config, "select": {"models": ["8_1Cu"]}})
    assert len(table) == 4
    assert table[0] == full[0] and table[-1] == full[-1]


def test_batch_table_covers_every_point_once_in_order():
    from cumor.config import batch_table

    structures = structure_table(CONFIG)
    batches = batch_table(structures, 10)
    flat = [p for points in batches.values() for p in points]
    assert flat == structures  # every grid point once, model order kept
    assert all(len({p.model for p in pts}) == 1 for pts in batches.values())
    assert all(1 <= len(pts) <= 10 for pts in batches.values())
    # 50 -> 5 batches, 63 and 66 -> 7: 12 x 5 + 6 x 7 + 17 x 7
    assert len(batches) == 221
    assert sorted({b for _, b in batches})[:2] == ["b000", "b001"]


def test_batch_table_one_point_per_job_and_bad_size():
    from cumor.config import batch_table

    structures = structure_table(CONFIG)[:3]
    assert [len(v) for v in batch_table(structures, 1).values()] == [1, 1, 1]
    with pytest.raises(ConfigError, match="points_per_job"):
        batch_table(structures, 0)


@pytest.mark.parametrize(
    "figures, key",
    [
        ({"convergence": {"model": "5.21_1Cu"}}, "figures.convergence.model"),
        ({"example_spectra": {"models": ["5.12_1Cu", "8.3_2Cu"]}}, "figures.example_spectra.models"),
        ({"engine_comparison": {"models": ["12.5_1cu"]}}, "figures.engine_comparison.models"),
    ],
)
def test_unknown_figure_model_named(figures, key):
    """A typo in a figure's model is an error; a catalogue model not selected is not."""
    config = copy.deepcopy(CONFIG)
    config["figures"] = figures
    with pytest.raises(ConfigError, match=key):
        check_config(config)
    config = copy.deepcopy(CONFIG)
    config["select"] = {"models": ["8_1Cu"]}
    check_config(config)  # the default figures name models that are not selected


# ------------------------------------------------------- --config overrides (strings)

SCHEMA_PATH = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def _validated(config):
    """Coerce, then validate as the workflow does (jsonschema with defaults)."""
    from jsonschema import Draft202012Validator

    from cumor.config import coerce_config, load_schema

    schema = load_schema(SCHEMA_PATH)
    coerce_config(config, schema)
    Draft202012Validator(schema).validate(config)
    return config


def test_coerce_config_types_strings_as_the_schema_does():
    """What Snakemake's --config makes of `ml='{epochs: 200}'` etc.: every scalar a
    string. Numbers, booleans and nulls get the schema's types, nested and in lists;
    strings stay strings where the schema wants one."""
    from_cli = {
        "ml": {"epochs": "200", "lr": "1e-3", "standardize": "false", "batch_size": "null",
               "augment": {"fractions": ["0.25", "0.5"]}, "ensemble": {"size": "3"}},
        "select": {"models": ["8_1Cu"], "max_points_per_model": "4"},
        "relax": {"enabled": "True", "fmax": "0.05"},
        "xanes": {"engine": "fdmnes", "energy_grid": {"start": "-15", "step": "0.5"},
                  "fdmnes": {"mode": "green", "adimp": "null", "executable": "/opt/fdmnes",
                             "energy_range": ["-20", "0.5", "30"], "scf": "no"},
                  "feff": {"fms_radius": "~", "scf_radius": "4"}},
        "figures": {"convergence": {"model": "null", "point": "p016",
                                    "feff": {"values": ["null", "4.0"]},
                                    "fdmnes": {"green": {"values": ["false", "true"]}}}},
        "batching": {"points_per_job": "1"},
    }
    config = _validated(from_cli)
    assert config["ml"] == {"epochs": 200, "lr": 1e-3, "standardize": False, "batch_size": None,
                            "augment": {"fractions": [0.25, 0.5]}, "ensemble": {"size": 3}}
    assert config["select"] == {"models": ["8_1Cu"], "max_points_per_model": 4}
    assert config["relax"] == {"enabled": True, "fmax": 0.05}
    xanes = config["xanes"]
    assert xanes["energy_grid"] == {"start": -15, "step": 0.5}
    assert xanes["fdmnes"] == {"mode": "green", "adimp": None, "executable": "/opt/fdmnes",
                               "energy_range": [-20, 0.5, 30], "scf": False}
    assert xanes["feff"] == {"fms_radius": None, "scf_radius": 4}
    fig1 = config["figures"]["convergence"]
    assert fig1["model"] is None and fig1["point"] == "p016"
    assert fig1["feff"]["values"] == [None, 4.0]
    assert fig1["fdmnes"]["green"]["values"] == [False, True]
    assert config["batching"]["points_per_job"] == 1
    assert isinstance(config["ml"]["epochs"], int) and isinstance(config["relax"]["fmax"], float)


def test_coerce_config_leaves_strings_and_typed_values_alone():
    """Quoted class labels stay strings; a config file's values are not touched; a
    string no type fits is left for validation to report with its key."""
    import jsonschema

    config = copy.deepcopy(CONFIG)
    assert _validated(copy.deepcopy(config))["models"] == config["models"]
    model = {"class": "12", "n_cu": "1", "ring": "12", "placement": "channel",
             "grid": {"cu_al": {"min": "2.5", "max": "3.5", "n": "4"}, "tilt": ["0", "30"]}}
    coerced = _validated({"models": {"12_1Cu": model}})["models"]["12_1Cu"]
    assert coerced["class"] == "12" and coerced["ring"] == "12" and coerced["n_cu"] == 1
    assert coerced["grid"] == {"cu_al": {"min": 2.5, "max": 3.5, "n": 4}, "tilt": [0, 30]}
    segments = {"segments": [{"cu_al": {"min": "2.5", "max": "3", "n": "2"}}]}
    coerced = _validated({"models": {"12_1Cu": {**model, "grid": segments}}})
    assert coerced["models"]["12_1Cu"]["grid"]["segments"][0]["cu_al"]["n"] == 2
    assert _validated({"select": {"models": "all"}})["select"]["models"] == "all"
    for bad, where in (({"ml": {"epochs": "2.5"}}, "epochs"),  # not an integer
                       ({"ml": {"standardize": "maybe"}}, "standardize"),
                       ({"ml": {"lr": "nan"}}, "lr")):
        with pytest.raises(jsonschema.ValidationError) as info:
            _validated(bad)
        assert where in info.value.json_path


def test_coerce_config_keeps_the_callers_dict():
    from cumor.config import coerce_config, load_schema

    config = {"ml": {"epochs": "5"}}
    inner = config["ml"]
    assert coerce_config(config, load_schema(SCHEMA_PATH)) is config
    assert inner == {"epochs": 5}  # changed in place, as Snakemake's global config
