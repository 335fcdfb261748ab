"""Benchmarks: `python -m bench.run` (speed), `python -m bench.eval` (search quality)."""
