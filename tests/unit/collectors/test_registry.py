"""The service registry says true things: each service's tables, demo recordings and coverage columns.

(Its operations are checked against the source and the IAM policy in ``tests/unit/test_policy.py``.)
"""

from __future__ import annotations

import inspect
import random
from datetime import datetime, timedelta

import pytest

from orginsight.collectors.recording import GLOBAL, ApiRecording
from orginsight.collectors.registry import SERVICES, coverage_rows, demo_records
from orginsight.collectors.run import COLLECTORS, frames_from_recording, service_of
from orginsight.demo.centralization import all_governance_responses
from orginsight.demo.exposure import merge
from orginsight.demo.org import build_organization, organizations_responses, service_responses
from orginsight.demo.services import posture_responses
from orginsight.errors import CollectionError

END = datetime(2026, 11, 27)


def demo_recording() -> ApiRecording:
    """A small demo organization's recorded API responses, as ``orginsight demo`` writes them."""
    org = build_organization(random.Random(3), 9, END - timedelta(days=10), END)
    recording = ApiRecording()
    for op, calls in organizations_responses(org).items():
        for call in calls:
            recording.add("organizations", GLOBAL, op, call["params"], call["response"])
    state = merge(service_responses(org, END), posture_responses(org, 7, END))
    for (service, region), ops in merge(state, all_governance_responses(org, 7, END)).items():
        for op, calls in ops.items():
            for call in calls:
                recording.add(service, region, op, call["params"], call["response"], call.get("account"))
    return recording


def recorded_operations(recording: ApiRecording) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for (service, _region, operation), _calls in recording:
        found.setdefault(service, set()).add(operation)
    return found


def test_collect_offers_every_registered_service() -> None:
    assert tuple(SERVICES) == COLLECTORS
    assert {
        "org",
        "guardduty",
        "securityhub",
        "config",
        "inspector",
        "accessanalyzer",
        "macie",
        "ssm",
    } <= set(SERVICES)
    assert all(service_of(name) is s and s.name == name for name, s in SERVICES.items())
    with pytest.raises(CollectionError, match="choose one of org, guardduty, securityhub, config"):
        service_of("detective")


@pytest.mark.parametrize("name", list(SERVICES))
def test_frames_returns_exactly_the_declared_tables(name: str) -> None:
    service = SERVICES[name]
    assert tuple(service.frames(ApiRecording(), None)) == service.table_names
    assert tuple(frames_from_recording(name, demo_recording(), None)) == service.table_names


@pytest.mark.parametrize("name", list(SERVICES))
def test_each_table_names_a_transform_of_its_service_module(name: str) -> None:
    service = SERVICES[name]
    module = inspect.getmodule(service.frames)
    for table in service.tables:
        assert table.transform.__name__.startswith("transform_"), table
        assert inspect.getmodule(table.transform) is module, table


def test_the_demo_records_what_the_registry_declares() -> None:
    recorded = recorded_operations(demo_recording())
    assert {api: recorded.get(api, set()) for api in demo_records()} == demo_records()


def test_the_demo_records_every_coverage_column() -> None:
    recording = demo_recording()
    assert [row.label for row in coverage_rows()] == [
        "GuardDuty",
        "Security Hub",
        "Config",
        "Inspector",
        "Access Analyzer",
        "Macie",
        "Systems Manager",
        "Trusted Advisor",
    ]
    for row in [r for r in coverage_rows() if r.transform is None]:  # the others: the next test
        assert row.operation in demo_records()[row.api], row
        members = [m for r in recording.regions(row.api) for m in _members(recording, row, r)]
        assert members and all(row.account_key in m and row.status_key in m for m in members), row
        assert any(str(m[row.status_key]).upper() in row.enabled for m in members), row


def _members(recording: ApiRecording, row, region: str) -> list[dict]:  # noqa: ANN001 - a Coverage
    return [
        m for r in recording.responses(row.api, region, row.operation) for m in r.get(row.members_key, [])
    ]


def test_the_demo_organization_names_the_accounts_of_other_services() -> None:
    """Organizations comes first: ``frames_from_lake`` joins the others' findings with its accounts."""
    accounts = SERVICES["org"].frames(demo_recording(), None)["accounts"]
    assert list(SERVICES)[0] == "org" and len(accounts) == 9


def test_a_coverage_transform_reads_the_demo_recording() -> None:
    recording = demo_recording()
    for row in [r for r in coverage_rows() if r.transform is not None and demo_records()[r.api]]:
        status, features = row.transform(recording)
        assert any(status.values()), row.label
        assert all(set(per) <= set(status) for per in features.values()), row.label
        if row.label == "GuardDuty":
            assert features and not all(status.values())  # the demo disables one account


def test_the_command_line_offers_every_registered_service() -> None:
    from orginsight.cli.collect import COLLECTOR_NAMES

    assert tuple(SERVICES) == COLLECTOR_NAMES


def test_the_readme_names_each_service_and_its_tables() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    for name, service in SERVICES.items():
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{name}` |")), None)
        assert row is not None, f"README has no row for the {name} collector"
        assert row.rsplit("|", 2)[1].strip() == ", ".join(service.table_names), row
