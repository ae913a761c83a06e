"""orginsight."""
