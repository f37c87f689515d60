"""Benchmarks of zsnews-crawler against the alternatives; run `python bench/run.py [--quick]`."""
