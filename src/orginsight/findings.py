"""``orginsight.findings``, as users import it: the module lives in ``orginsight.analytics.findings``."""

import sys

from orginsight.analytics import findings as _module

sys.modules[__name__] = _module
