"""Example models built in code (no downloads), for the demo and the tests."""
