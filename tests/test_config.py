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
