"""Reshaping the graph's aggregate: the resources each aggregate row named."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from orginsight.analytics.graph.build import RESOURCE_SEPARATOR, shape_activity


def test_each_aggregate_row_gives_one_row_per_distinct_resource() -> None:
    sep = RESOURCE_SEPARATOR
    n = 4
    agg = pd.DataFrame(
        {
            "principal": ["iam_user:a", "iam_user:b", "iam_user:c", "iam_user:d"],
            "invoked_by": [None] * n,
            "access_key": ["AKIAEXAMPLE"] * n,
            "account": ["111111111111"] * n,
            "region": ["us-east-1"] * n,
            "ip": ["198.51.100.7"] * n,
            "user_agent": ["aws-cli/2"] * n,
            "eventsource": ["s3.amazonaws.com"] * n,
            "eventname": ["GetObject"] * n,
            "bucket": [datetime(2026, 11, 26, 10)] * n,
            "in_scope": [True] * n,
            "created_principal": [None] * n,
            "created_key": [None] * n,
            # Bucket from resources[] and from requestParameters.bucketName; an empty resources[]
            # joined as "" before a role ARN; no resource at all; a missing value.
            "touched": [
                f"arn:aws:s3:::b1{sep}arn:aws:s3:::b1{sep}arn:aws:s3:::b1",
                f"{sep}arn:aws:iam::111111111111:role/R",
                "",
                None,
            ],
            "count": [3, 1, 2, 5],
            "successes": [3, 1, 2, 5],
            "failures": [0, 0, 0, 0],
        }
    )
    parts = shape_activity(agg)
    rows = parts["resources"].sort_values("principal").reset_index(drop=True)
    assert rows[["principal", "resource", "count", "api"]].to_dict("records") == [
        {"principal": "iam_user:a", "resource": "arn:aws:s3:::b1", "count": 3, "api": "s3:GetObject"},
        {
            "principal": "iam_user:b",
            "resource": "arn:aws:iam::111111111111:role/R",
            "count": 1,
            "api": "s3:GetObject",
        },
    ]
    assert "touched" not in rows and "touched" not in parts["activity"]
    assert len(parts["activity"]) == n and parts["baseline"].empty and parts["baseline_resources"].empty
