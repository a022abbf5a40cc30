"""The organisation's documents and their search (README "Knowledge base")."""

import os

# One BLAS thread for the vector scan, set before numpy loads (this package imports it first in our
# processes): a scan of 50k x 256 floats gains nothing from more, and OpenBLAS's idle threads spin
# after each product, which cost ~80 ms of CPU per search on the 2-core machine (docs/PERFORMANCE.md),
# CPU the database and the other workers need. An operator's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
