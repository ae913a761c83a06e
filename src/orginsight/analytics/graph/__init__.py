"""Detective-style entity graph of the organization trail: entities, hourly edges, profiles, finding groups.

Build one with ``Lake.entity_graph(scope=(start, end))``; see ``graph.model.EntityGraph``.
"""

from orginsight.analytics.graph.model import EntityGraph

__all__ = ["EntityGraph"]
