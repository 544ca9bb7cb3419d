"""Reproducible performance figures for the fulfillment portal: `make bench` (= `python -m benchmarks.run`).

Every figure is a ratio of two things measured in the same run on the same
machine, so it holds on a noisy box. Benchmarks whose feature does not exist
yet report "not measured: <reason>" instead of failing.
"""
