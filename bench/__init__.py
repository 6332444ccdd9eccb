"""Benchmarks: `measure/` (speed, memory, quality), `decisions/` (one-off decision records),
`fit/` (trainers), all on `harness`. Run from the repo root: `python -m bench.measure.search`."""
