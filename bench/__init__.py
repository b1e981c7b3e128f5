"""Benchmarks: each prints its cost as a ratio against a baseline measured in the same run."""
