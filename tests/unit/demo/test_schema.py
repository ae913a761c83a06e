"""Field paths and the documented CloudTrail record structure used by the schema comparison test."""

from __future__ import annotations

from orginsight.demo.schema import DOCUMENTED_RECORD_PATHS, field_paths, paths_by_event, undocumented_paths


def test_field_paths_walk_objects_and_lists():
    rec = {"a": {"b": 1}, "resources": [{"ARN": "x"}, {"type": "y"}], "c": None}
    assert field_paths(rec) == {"a", "a.b", "resources", "resources[].ARN", "resources[].type", "c"}


def test_documented_paths_cover_the_top_level_and_user_identity():
    assert {"eventVersion", "tlsDetails.clientProvidedHostHeader", "sharedEventID"} <= DOCUMENTED_RECORD_PATHS
    assert "userIdentity.sessionContext.sessionIssuer.arn" in DOCUMENTED_RECORD_PATHS


def test_undocumented_paths_flags_what_neither_real_records_nor_docs_have():
    real = paths_by_event([{"eventName": "GetObject", "requestParameters": {"bucketName": "b", "key": "k"}}])
    generated = paths_by_event(
        [
            {
                "eventName": "GetObject",
                "eventTime": "t",
                "requestParameters": {"bucketName": "b", "madeUp": 1},
            },
            {"eventName": "AssumeRoleWithSAML", "requestParameters": {"sAMLAssertionID": "x"}},
            {"eventName": "NeverSeen", "requestParameters": {"x": 1}},
        ]
    )
    assert undocumented_paths(generated, real) == {
        "GetObject": {"requestParameters.madeUp"},
        "NeverSeen": {"requestParameters.x"},
    }
