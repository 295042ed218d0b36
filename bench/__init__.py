"""Benchmarks: `make bench` runs bench.booking (see bench/README.md)."""
