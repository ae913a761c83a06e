"""Reshaping the graph's aggregate: the resources each aggregate row named."""

from __future__ import annotations

import pandas as pd

from orginsight.graph.build import RESOURCE_SEPARATOR, split_resources


def test_split_resources_gives_one_row_per_distinct_resource() -> None:
    sep = RESOURCE_SEPARATOR
    agg = pd.DataFrame(
        {
            "principal": ["iam_user:a", "iam_user:b", "iam_user:c", "iam_user:d"],
            "count": [3, 1, 2, 5],
            # Bucket from resources[] and from requestParameters.bucketName; an empty resources[]
            # joined as "" before a role ARN; no resource at all; a missing value.
            "touched": [
                f"arn:aws:s3:::b1{sep}arn:aws:s3:::b1{sep}arn:aws:s3:::b1",
                f"{sep}arn:aws:iam::111111111111:role/R",
                "",
                None,
            ],
        }
    )
    rows = split_resources(agg).sort_values("principal").reset_index(drop=True)
    assert rows[["principal", "resource", "count"]].to_dict("records") == [
        {"principal": "iam_user:a", "resource": "arn:aws:s3:::b1", "count": 3},
        {"principal": "iam_user:b", "resource": "arn:aws:iam::111111111111:role/R", "count": 1},
    ]
    assert "touched" not in rows
