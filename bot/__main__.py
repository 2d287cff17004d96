"""`python -m bot` is `concierge`."""

import sys

from bot.cli import main

sys.exit(main())
