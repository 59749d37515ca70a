"""`sviml report --average-splits`: UCF101's and HMDB51's three splits averaged, as the literature reports.

`sviml data add ucf101 --split all` registers `<name>-split1..3`, each with `split_group` (the
name) and `split_number` in its protocol. Here the results of one run, task and metric on all
three splits of a group become one result on `<group> (splits 1-3)`: the mean of the three
values, its protocol saying so. A run with fewer than three splits keeps its per-split results
(a mean over two splits is not the literature's number). Pure: result dicts in, result dicts out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

SPLITS = (1, 2, 3)


def _group(result: dict[str, Any]) -> tuple[Any, ...] | None:
    protocol = result.get("protocol") or {}
    group, number = protocol.get("split_group"), protocol.get("split_number")
    if not isinstance(group, str) or number not in SPLITS:
        return None
    return result["run_id"], result["task"], group, result["metric"], result.get("split")


def average_splits(results: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The results with every complete group of splits 1-3 replaced by their mean (see the module)."""
    groups: dict[tuple[Any, ...], dict[int, dict[str, Any]]] = defaultdict(dict)
    for result in results:
        key = _group(result)
        if key is not None:
            groups[key][result["protocol"]["split_number"]] = result
    complete = {key: members for key, members in groups.items() if set(members) == set(SPLITS)}
    averaged_ids = {id(r) for members in complete.values() for r in members.values()}
    out = [r for r in results if id(r) not in averaged_ids]
    for (_, _, group, _, _), members in complete.items():
        first = members[1]
        protocol = {**first["protocol"], "split_variant": "mean of splits 1-3", "split_number": None,
                    "split_values": [members[n]["value"] for n in SPLITS]}
        out.append({**first, "id": max(m.get("id") or 0 for m in members.values()),
                    "dataset": f"{group} (splits 1-3)", "value": sum(members[n]["value"] for n in SPLITS) / 3,
                    "n": sum(members[n].get("n") or 0 for n in SPLITS) or None, "protocol": protocol})
    return out
