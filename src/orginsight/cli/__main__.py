"""``python -m orginsight.cli``: the same as the ``orginsight`` command."""

import sys

from orginsight.cli import main

sys.exit(main())
