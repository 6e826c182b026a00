"""cumor.resources: SLURM runtime and memory of spectrum jobs from measured seconds."""

import pytest

from cumor.resources import (
    absorber_seconds,
    energy_points,
    job_mem_mb,
    job_runtime_minutes,
    uses_fdm,
)


def test_energy_points_of_fdmnes_ranges():
    assert energy_points((-20.0, 0.5, 30.0, 1.0, 90.0)) == 161  # the engine's default
    assert energy_points((-15, 0.5, 60)) == 151  # tests/data/fdmnes/green_1cu_r6
    assert energy_points((-6, 2, 8)) == 8
    with pytest.raises(ValueError, match="energy_range"):
        energy_points((-15, 0.5))


def test_absorber_seconds_cover_the_measured_figures():
    """Budgets at 6 A: above what was measured (FEFF10 14-25 s, FDMNES green 99-107 s
    per absorber, FDM 183 s per energy point), by engine and mode."""
    assert 25 < absorber_seconds("feff", {"cluster_radius": 6.0}) <= 40
    green = absorber_seconds("fdmnes", {"mode": "green"})
    assert 107 < green <= 130
    fdm = absorber_seconds("fdmnes", {})  # fdm is FDMNES's default mode
    assert 161 * 183 < fdm <= 161 * 210  # ~8-9 h
    assert absorber_seconds("fdmnes", {"mode": "fdm", "adimp": None}) == fdm
    # energy points, radius, grid step and SCF scale the cost
    assert absorber_seconds("fdmnes", {"mode": "green", "energy_range": [-15, 0.5, 60]}) \
        == pytest.approx(green * 151 / 161)
    assert absorber_seconds("feff", {"cluster_radius": 7.0}) > 80.9  # measured at 7 A
    assert absorber_seconds("feff", {"cluster_radius": 4.0}) == absorber_seconds("feff", {})
    assert absorber_seconds("feff", {"scf_radius": 4.0}) > 114  # measured with SCF 4 A
    assert absorber_seconds("fdmnes", {"adimp": 0.2}) == pytest.approx(fdm * 2.5**3)
    assert absorber_seconds("fdmnes", {"adimp": [0.5, 10, 0.25]}) == pytest.approx(fdm * 8)
    assert absorber_seconds("fdmnes", {"mode": "green", "scf": True}) > green
    with pytest.raises(ValueError, match="gaussian"):
        absorber_seconds("gaussian", {})


def test_job_runtime_is_absorbers_times_seconds_with_margin():
    # 10 one-Cu structures through FEFF10: (60 + 10 x 30 s) x 1.5 = 9 min
    assert job_runtime_minutes("feff", {}, 10) == 9
    assert job_runtime_minutes("feff", {}, 30) == 24  # a batch of 3-Cu structures
    assert job_runtime_minutes("fdmnes", {"mode": "green"}, 4) == 14
    assert job_runtime_minutes("fdmnes", {"mode": "fdm"}, 1) == 807  # 13.5 h
    assert job_runtime_minutes("feff", {}, 0) == 2  # never below 2 min
    # a reference oxide: FEFF10 measured CuO 150 s = 6 x a Cu-MOR absorber
    assert job_runtime_minutes("feff", {}, 1, reference=True) >= (60 + 150) * 1.5 / 60
    with pytest.raises(ValueError, match="absorbers"):
        job_runtime_minutes("feff", {}, -1)


def test_memory_and_fdm_by_mode():
    assert job_mem_mb("feff", {}) == 1024  # FEFF10 measured ~190 MB RSS
    assert job_mem_mb("fdmnes", {"mode": "green"}) == 2048
    assert job_mem_mb("fdmnes", {"mode": "fdm"}) == 8192
    assert job_mem_mb("fdmnes", {"mode": "fdm", "adimp": 0.25}) == 8 * 8192
    assert uses_fdm("fdmnes", {}) and uses_fdm("fdmnes", {"mode": "FDM"})
    assert not uses_fdm("fdmnes", {"mode": "green"}) and not uses_fdm("feff", {})
