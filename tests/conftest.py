"""Shared fixtures: the framework and its rings are built once per session."""

import pytest

from cumor.framework import build_mor_framework
from cumor.rings import find_rings


@pytest.fixture(scope="session")
def mor():
    return build_mor_framework()


@pytest.fixture(scope="session")
def mor_rings(mor):
    return find_rings(mor)
