"""Scenario files: their model, loader (with line numbers), matcher, templates and engine."""
