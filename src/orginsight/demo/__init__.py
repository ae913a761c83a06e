"""The synthetic demo organization: a lake laid out like the real buckets, with known incidents.

``generate_lake(path)`` writes it; ``scenario.json`` at its root holds the ground truth.
"""

from orginsight.demo.generate import (
    DEFAULT_END,
    GenerateSummary,
    ensure_lake,
    generate_lake,
    load_scenario,
    scenario_lines,
)

__all__ = [
    "DEFAULT_END",
    "GenerateSummary",
    "ensure_lake",
    "generate_lake",
    "load_scenario",
    "scenario_lines",
]
