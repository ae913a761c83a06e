"""``orginsight.sigma``, as users import it: the module lives in ``orginsight.analytics.sigma``."""

import sys

from orginsight.analytics import sigma as _module

sys.modules[__name__] = _module
