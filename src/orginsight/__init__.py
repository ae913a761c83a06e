"""orginsight: security analytics for an AWS Organization.

One Athena SQL dialect over the organization trail, run locally with DuckDB or
at scale on Athena; hunts, entity graphs, triage and posture trends on top.
Importing the package has no side effects and loads no heavy dependency.
"""

from orginsight.errors import OrgInsightError
from orginsight.lake import Lake

__all__ = ["Lake", "OrgInsightError"]
__version__ = "0.1.0"
