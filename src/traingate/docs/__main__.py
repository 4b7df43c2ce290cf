"""`python -m traingate.docs`: rewrite the reference pages, or with --check name those out of date."""

import sys

from traingate.docs import main

sys.exit(main())
