"""The demo: a synthetic population in the reference complex (`habeas demo`, the benchmarks)."""
