"""The ``hopx`` command (the console script of this package).

The command line itself is the Rust one, in the native module: the same ``hopx`` that
``cargo install hopx-cli`` and ``npm install @hopx-ai/sdk`` give, with no second
implementation here.
"""

from __future__ import annotations

import signal
import sys
from typing import List, Optional

from . import _native


def main(argv: Optional[List[str]] = None) -> int:
    """Runs ``hopx`` with ``argv`` (default: this process's arguments) and returns its exit
    status."""
    args = list(sys.argv[1:] if argv is None else argv)
    # Ctrl-C ends the command at once, as it does the native binary. (Python's own handler
    # would only set a flag that nobody checks while the command runs.) A closed pipe is an
    # error the command handles itself, so Python's SIG_IGN for SIGPIPE stays.
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    except ValueError:  # not the main thread: leave signals alone
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    return _native.run_cli(["hopx", *args])


if __name__ == "__main__":
    sys.exit(main())
