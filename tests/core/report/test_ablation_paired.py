"""Paired differences in the ablation report: a hand-computed 3-seed case, a seed only one variant ran
(left out of the pairing), one common seed (no SE), the 2-SE verdict, the baseline choice, variants
sharing loss terms, and the numbers in every output format."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

from core.errors import UserError
from core.report.ablation import build_ablation_table
from core.report.paired import PairedDifference, paired_difference, verdict

R1 = "retrieval_zs/synth-msrvtt/t2v_R@1"
WEIGHTS = {"contrastive": (0.0, 0.0), "+ground": (1.0, 0.0), "+temporal": (0.0, 1.0), "full": (1.0, 1.0)}
# R@1 per variant and seed. full has seed 3, which no other variant ran: it is left out of the pairing.
#   full - contrastive:    3.0, 1.5, 3.0   -> mean 2.5, sample std sqrt(0.75), SE sqrt(0.75 / 3) = 0.5: > 2 SE
#   +ground - contrastive: 1.0, -1.0, -2.0 -> mean -2/3, sample std sqrt(7/3), SE sqrt(7/9) ~ 0.882: a tie
#   +temporal - contrastive: only seed 0 is common -> 1.0, no SE
VALUES = {
    "contrastive": {0: 4.0, 1: 6.0, 2: 5.0},
    "+ground": {0: 5.0, 1: 5.0, 2: 3.0},
    "+temporal": {0: 5.0, 7: 9.0},
    "full": {0: 7.0, 1: 7.5, 2: 8.0, 3: 100.0},
}


def _runs(values=VALUES, weights=WEIGHTS, study="s"):
    runs, results = [], []
    for variant, by_seed in values.items():
        w_ground, w_temporal = weights[variant]
        for seed, value in by_seed.items():
            run_id = f"{variant}-{seed}"
            runs.append({"id": run_id, "name": run_id, "seed": seed, "tags": {
                "w_contrast": 1.0, "w_ground": w_ground, "w_temporal": w_temporal, "ablation": study,
                "variant": variant, "seed": seed}})
            results.append({"run_id": run_id, "task": "retrieval_zs", "dataset": "synth-msrvtt", "split": "test",
                            "metric": "t2v_R@1", "value": value, "n": 200,
                            "protocol": {"frames": 8, "views": 1, "head": "zero-shot", "dataset_kind": "msrvtt"}})
    return runs, results


def _paired(table):
    return {row.label: row for row in table.rows if row.paired_with is not None}


def test_paired_difference_by_hand():
    diff = paired_difference(VALUES["full"], VALUES["contrastive"])
    assert diff.seeds == (0, 1, 2) and diff.n == 3  # seed 3 is the full variant's alone
    assert diff.mean == pytest.approx(2.5) and diff.se == pytest.approx(0.5)
    assert verdict(diff) == "better"
    tie = paired_difference(VALUES["+ground"], VALUES["contrastive"])
    assert tie.mean == pytest.approx(-2 / 3) and tie.se == pytest.approx(math.sqrt(7 / 9))
    assert verdict(tie) == "tie"
    one = paired_difference(VALUES["+temporal"], VALUES["contrastive"])
    assert (one.mean, one.se, one.seeds) == (1.0, None, (0,)) and verdict(one) is None
    assert paired_difference({5: 1.0}, {6: 1.0}) is None


def test_verdict_follows_the_metric_direction():
    down = PairedDifference(mean=-3.0, se=1.0, seeds=(0, 1, 2))
    assert verdict(down) == "worse" and verdict(down, lower_is_better=True) == "better"
    assert verdict(PairedDifference(mean=2.0, se=1.0, seeds=(0, 1))) == "tie"  # exactly 2 SE is not more
    assert verdict(PairedDifference(mean=0.1, se=0.0, seeds=(0, 1))) == "better"  # identical shifts: SE 0


def test_paired_rows_against_contrastive_only():
    table = build_ablation_table(*reversed(_runs()))
    base = next(row for row in table.rows if row.baseline)
    assert base.label == "contrastive only"
    paired = _paired(table)
    assert list(paired) == ["+ L_g (grounding) − contrastive only", "+ L_t (temporal) − contrastive only",
                            "all three (S-ViLM) − contrastive only"]
    full = paired["all three (S-ViLM) − contrastive only"]
    assert full.fields["seeds"] == "0, 1, 2" and full.fields["runs"] == "3"
    cell = full.cells[R1]
    assert (cell.value, cell.se, cell.count, cell.verdict) == (pytest.approx(2.5), pytest.approx(0.5), 3, "better")
    assert not cell.best  # a difference is never the column's best value
    assert paired["+ L_g (grounding) − contrastive only"].cells[R1].verdict == "tie"
    temporal = paired["+ L_t (temporal) − contrastive only"].cells[R1]
    assert (temporal.se, temporal.count, temporal.verdict) == (None, 1, None)
    # The per-variant mean ± std still covers every run, seed 3 included.
    rows = {row.label: row for row in table.rows if row.paired_with is None}
    assert rows["all three (S-ViLM)"].cells[R1].value == pytest.approx((7.0 + 7.5 + 8.0 + 100.0) / 4)
    assert rows["all three (S-ViLM)"].cells[R1].best


def test_baseline_by_variant_name_and_unknown_name():
    table = build_ablation_table(*reversed(_runs()), baseline="full")
    paired = _paired(table)
    cell = paired["contrastive only − all three (S-ViLM)"].cells[R1]
    assert cell.value == pytest.approx(-2.5) and cell.se == pytest.approx(0.5) and cell.verdict == "worse"
    with pytest.raises(UserError, match="no variant 'nope'.*variants: \\+ground, \\+temporal, contrastive, full"):
        build_ablation_table(*reversed(_runs()), baseline="nope")


def test_variants_sharing_loss_terms_get_rows_of_their_own():
    values = {"full": {0: 10.0, 1: 12.0}, "full-xp": {0: 13.0, 1: 14.0}}
    weights = {"full": (1.0, 1.0), "full-xp": (1.0, 1.0)}
    table = build_ablation_table(*reversed(_runs(values, weights)), baseline="full")
    labels = [row.label for row in table.rows if row.cells.keys() & {R1}]
    assert labels == ["all three (S-ViLM): full", "all three (S-ViLM): full-xp",
                      "all three (S-ViLM): full-xp − all three (S-ViLM): full"]
    cell = _paired(table)["all three (S-ViLM): full-xp − all three (S-ViLM): full"].cells[R1]
    assert cell.value == pytest.approx(2.5) and cell.se == pytest.approx(0.5)  # diffs 3, 2


def test_every_format_shows_the_paired_difference():
    from core.report.render_csv import render_csv
    from core.report.render_html import render_html
    from core.report.render_json import render_json
    from core.report.render_markdown import render_markdown
    from core.report.render_rich import render_rich_text

    table = build_ablation_table(*reversed(_runs()))
    md = render_markdown(table)
    assert "| all three (S-ViLM) − contrastive only | paired | 3 | 0, 1, 2 |" in md
    assert "+2.5 ± 0.5 SE (>2 SE, t=+5.00)" in md and "-0.7 ± 0.9 SE<sup>" in md and "+1.0 (n=1, no SE)" in md
    assert "+2.5 ± 0.5 SE (>2 SE, t=+5.00)" in render_rich_text(table, width=400)
    html = render_html(table)
    assert '<span class="better">+2.5 ± 0.5 SE (&gt;2 SE, t=+5.00)</span>' in html
    lines = list(csv.DictReader(io.StringIO(render_csv(table))))
    full = next(line for line in lines if line["label"] == "all three (S-ViLM) − contrastive only")
    assert (float(full["value"]), float(full["se"]), full["verdict"], full["count"]) == (2.5, 0.5, "better", "3")
    assert full["paired_with"] == "contrastive only"
    data = json.loads(render_json(table))
    row = next(r for r in data["rows"] if r["label"] == "all three (S-ViLM) − contrastive only")
    assert row["cells"][R1]["se"] == pytest.approx(0.5) and row["paired_with"] == "contrastive only"


def test_a_paired_cell_shows_t_so_rounding_cannot_hide_the_verdict():
    from core.report.format import paired_text
    from core.report.table_model import Cell, Row

    row = Row(key="k", source="measured", label="full − contrastive only", fields={"runs": "5"},
              paired_with="contrastive only")
    # Like the Table 6 retrieval cell (t = 2.01 unrounded): "+2.5 ± 1.3" reads as under 2 SE to the eye.
    assert paired_text(Cell(2.54, se=1.26, count=5, verdict="better"), row) == "+2.5 ± 1.3 SE (>2 SE, t=+2.02)"
    assert paired_text(Cell(-3.0, se=1.0, count=5, verdict="worse"), row) == "-3.0 ± 1.0 SE (>2 SE, t=-3.00)"
    assert paired_text(Cell(0.4, se=1.1, count=5, verdict="tie"), row) == "+0.4 ± 1.1 SE"
    assert paired_text(Cell(0.1, se=0.0, count=5, verdict="better"), row) == "+0.1 ± 0.0 SE (>2 SE: every seed the same)"
