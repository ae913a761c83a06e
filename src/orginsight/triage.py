"""``orginsight.triage``, as users import it: the module lives in ``orginsight.analytics.triage``."""

import sys

from orginsight.analytics import triage as _module

sys.modules[__name__] = _module
