"""Network evidence beside the trail: the indicator lists the package ships (``indicators``), the flows and
DNS queries of an IP, instance or domain for triage (``evidence``), all read from the ``vpcflow`` and
``dnsquery`` tables (``tables``: a lake may hold none). The graph's network entities are in
``analytics/graph/network``."""
