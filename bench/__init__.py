"""The benchmarks behind `habeas bench NAME` (DESIGN.md section 6).

Each module has ``run(..., progress=None) -> list[dict]``: metrics as
``{"name", "value", "unit", "target"}`` (plus extra keys). Sizes are parameters so the smoke
tests can run the same code on a few hundred people; timings are never asserted by tests.
"""

BENCHMARKS = ("intake", "search")
