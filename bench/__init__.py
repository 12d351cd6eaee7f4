"""Benchmarks run by `make bench`; each compares our code with the bare stack doing the same work, as a ratio."""
