"""Network evidence beside the trail: VPC Flow Logs (``vpcflow``) and Route 53 Resolver query logs (``dnsquery``).

``layout`` (where each lands in S3 and how a lake is walked for it), ``flowlogs`` and ``dnslogs`` (the
record formats, how DuckDB reads them, the checks that leave a bad file out), ``ddl`` (their Athena
tables) and ``placement`` (where ``lake import`` puts loose files of either kind).
"""
