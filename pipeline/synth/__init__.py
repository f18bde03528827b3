"""Synthetic Korean developer-project matching data: catalog, texts, rules, sampling and the MNRL view."""
