"""Benchmarks: a data generator (bench/generate.py) and the load driver (bench/run.py)."""
