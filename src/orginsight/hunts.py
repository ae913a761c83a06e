"""``orginsight.hunts``, as users import it: the module lives in ``orginsight.analytics.hunts``."""

import sys

from orginsight.analytics import hunts as _module

sys.modules[__name__] = _module
