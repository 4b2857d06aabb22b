"""`python -m lstm_studio` behaves exactly like the `lstm-studio` command."""

import sys

from lstm_studio.cli import main

if __name__ == "__main__":
    sys.exit(main())
