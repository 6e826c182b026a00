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
