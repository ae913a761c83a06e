"""``orginsight.findings``, as users import it: the module lives in ``orginsight.sources.findings``."""

import sys

from orginsight.sources import findings as _module

sys.modules[__name__] = _module
