"""What the data means: findings, hunts, Sigma rules, published queries, the entity graph, triage and posture."""
