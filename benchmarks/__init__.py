"""Benchmarks: the load harness (run.py) and the Datasette peer's data (peer.py)."""
