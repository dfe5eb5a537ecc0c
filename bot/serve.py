"""``python -m bot.serve run …``: Rasa's own command line, started without TensorFlow.

Exactly ``rasa run …`` (same arguments), except that :mod:`bot.no_tensorflow` is installed
first when the configuration allows it, before Rasa's CLI imports anything. Used for the Rasa
server by scripts/run.sh, the tests' live servers and the Dockerfile; ``rasa train`` and every
other Rasa command are unchanged.
"""

from __future__ import annotations

import logging
import sys


def main() -> None:
    from bot import no_tensorflow

    reason = no_tensorflow.install()
    if reason:
        logging.getLogger(__name__).info("TensorFlow is imported: %s", reason)
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
