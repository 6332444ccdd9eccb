"""nvault's engine: a hybrid index of a notes folder, kept current, behind the `Vault` facade."""

import os

# Our matrix products are small and latency-bound; multi-threaded BLAS made them up to 25x slower
# on a busy 2-core machine (measured in bench/linking.py). The user's setting wins if present.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
