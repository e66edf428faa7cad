"""Production settings exactly as deployed (config.settings, read from the environment), with
one difference: collected static files live in a temporary folder (BENCH_STATIC_ROOT) that the
benchmark makes and removes, so a run never writes into the checkout's staticfiles/.
"""

import os

from config.settings import *  # noqa: F403

STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
