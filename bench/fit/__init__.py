"""bench.fit: run each module with `python -m bench.fit.<name>`."""
