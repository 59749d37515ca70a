"""One rank of a command `sviml` relaunched on several processes (`sviml eval --nproc N`).

torchrun parses options given after the script too (`--run` would match its `--run-path`), so the
command's arguments travel as one JSON list: `python -m sviml_cli.rank '["eval", "--run", "ID"]'`.
"""

from __future__ import annotations

import json
import sys

from sviml_cli.main import main

if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
