"""``python -m partnercontact.cli``: the `partnercontact` command."""

import sys

from partnercontact.cli import main

sys.exit(main())
