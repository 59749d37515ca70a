"""`python -m sviml_cli` runs the CLI."""

import sys

from sviml_cli.main import main

sys.exit(main())
