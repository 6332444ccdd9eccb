"""bench.decisions: run each module with `python -m bench.decisions.<name>`."""
