"""Benchmarks: `make bench` runs bench.run (wrk against the site), bench.feeds and
bench.sweep (see bench/README.md)."""
