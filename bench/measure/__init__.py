"""bench.measure: run each module with `python -m bench.measure.<name>`."""
