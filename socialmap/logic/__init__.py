"""The business layer: every door (HTML, API, CLI, importers) calls these functions."""
