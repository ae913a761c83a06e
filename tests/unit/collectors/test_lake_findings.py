"""``lake_findings``: every service's findings in one frame, and a service's own findings table kept out.

Access Analyzer's snapshot ``findings`` table has a ``finding_id`` too, but it is the service's own
schema; mixing it into the normalized frame would add rows without a source or a resource id.
"""

from __future__ import annotations

from datetime import UTC, datetime

from data.aws import accessanalyzer as aa

from orginsight.collectors.accessanalyzer import ACCESSANALYZER
from orginsight.collectors.recording import ApiRecording
from orginsight.collectors.run import lake_findings
from orginsight.collectors.snapshots import write_snapshot


def test_recorded_pages_join_the_frame_and_service_tables_stay_out(tmp_path) -> None:
    recording = ApiRecording()
    analyzer = "arn:aws:access-analyzer:us-east-1:111122223333:analyzer/org"
    recording.add(
        "accessanalyzer", "us-east-1", "list_findings", {"analyzerArn": analyzer}, aa.LIST_FINDINGS_ROLES
    )
    service_tables = ACCESSANALYZER.frames(recording, None)
    assert len(service_tables["findings"]) and "finding_id" in service_tables["findings"]
    write_snapshot(
        tmp_path, "accessanalyzer", service_tables, [], collected_at=datetime(2024, 5, 1, tzinfo=UTC)
    )

    found = lake_findings(tmp_path, recording)
    assert len(found) == len(aa.LIST_FINDINGS_ROLES["findings"])
    assert set(found["source"]) == {"IAM Access Analyzer"}
    assert found["resource_id"].notna().all()
