"""``python -m kommentar.cli``, as ``kommentar serve`` starts its delivery process."""

import sys

from . import main

sys.exit(main())
