"""The demo organization the demo-state tests share (tests/unit/demo): one org, one seed, built once a module.

The tests import the fixtures (``from data.demo import org_fixture, states_fixture``: registered as
``org`` and ``states``) rather than from a
tests/unit/demo/conftest.py: the suite imports helpers with ``from conftest import ...``, and a second
conftest.py outside a package would take the module name ``conftest`` from the root one; nor from
``pytest_plugins`` in the root conftest, which the CI-skip tests copy into folders without ``data/``. Tests import ``END`` and ``SEED`` from here when they
build more of the same demo (another snapshot, another seed) than the fixtures give.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from orginsight.demo.org import Organization, build_organization
from orginsight.demo.services import build_states

END = datetime(2026, 11, 27)
"""The demo's last day; the organization spans the twenty days before it."""
SEED = 5


@pytest.fixture(scope="module", name="org")
def org_fixture() -> Organization:
    """Nine accounts over twenty days (the seed of the organization itself is fixed at 3)."""
    return build_organization(random.Random(3), 9, END - timedelta(days=20), END)


@pytest.fixture(scope="module", name="states")
def states_fixture(org: Organization):
    """The posture services' planted story and their builders for ``org`` (``services.build_states``)."""
    return build_states(org, SEED)
