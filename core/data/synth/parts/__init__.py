"""One planner per part of the suite, each writing one real dataset layout (see docs/synthetic.md).

`PARTS` lists (name, kind, planner) in the order `generate_suite` returns them. A planner is
`plan(size: SuiteSize, seed: int) -> PartPlan` and draws only from seeded generators.
"""

from __future__ import annotations

from collections.abc import Callable

from ..plan import PartPlan
from ..sizes import SuiteSize
from . import anet, hmdb, msrvtt, msrvtt_qa, msvd_qa, pretrain, ucf

Planner = Callable[[SuiteSize, int], PartPlan]

PARTS: tuple[tuple[str, str, Planner], ...] = (
    (pretrain.NAME, pretrain.KIND, pretrain.plan),
    (msrvtt.NAME, msrvtt.KIND, msrvtt.plan),
    (msrvtt_qa.NAME, msrvtt_qa.KIND, msrvtt_qa.plan),
    (msvd_qa.NAME, msvd_qa.KIND, msvd_qa.plan),
    (ucf.NAME, ucf.KIND, ucf.plan),
    (hmdb.NAME, hmdb.KIND, hmdb.plan),
    (anet.NAME, anet.KIND, anet.plan),
)
