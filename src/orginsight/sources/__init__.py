"""Where the organization's data lives: the bucket layouts, import into a local lake, its inventory, Athena DDL, export readers."""
