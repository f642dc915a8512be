"""Analyses built on top of a Report: cross-checks against other tools, baselines, budgets."""
