"""The pivot over a registry of known rows: cells, differing config keys, best flags, paper rows,
blank versus zero, baseline deltas and footnotes per protocol."""

from __future__ import annotations

import pytest

from core.report.paper import PAPER_NUMBERS
from core.report.table import build_table
from core.report.table_model import MEASURED, PAPER_SOURCE


def _cell(table, row_key, column_key):
    row = next(r for r in table.rows if r.key == row_key)
    return row.cells.get(column_key)


def test_values_land_in_their_cells(report, known):
    table = report(format="json").table
    measured = [row.key for row in table.rows if row.source == MEASURED]
    assert measured == [known["b"], known["a"]]  # pre-training runs with results, newest first
    assert _cell(table, known["a"], "retrieval_zs/synth-msrvtt/t2v_R@1").value == 12.0
    assert _cell(table, known["b"], "retrieval_zs/synth-msrvtt/t2v_R@1").value == 15.0
    assert _cell(table, known["a"], "retrieval_zs/msrvtt/t2v_R@1").value == 20.0
    assert _cell(table, known["a"], "retrieval_zs/synth-msrvtt/t2v_R@1").n == 100
    # Headline metrics only by default; --metrics all brings the ranks in.
    assert "retrieval_zs/synth-msrvtt/t2v_MdR" not in {c.key for c in table.columns}
    everything = report(format="json", metrics="all").table
    assert _cell(everything, known["b"], "retrieval_zs/synth-msrvtt/t2v_MdR").value == 4.0


def test_only_differing_config_keys_are_shown(report, known):
    table = report(format="json").table
    # lr differs; batch size, model and losses are shared; the free-text description never counts.
    assert table.config_keys == ["train.lr"]
    rows = {row.key: row for row in table.rows}
    assert rows[known["a"]].config == {"train.lr": "0.001"}
    assert rows[known["b"]].config == {"train.lr": "0.0003"}
    assert rows[known["a"]].fields["recipe"] == "pretrain/tiny"
    assert rows[known["a"]].fields["checkpoint"] == "step_0000010"


def test_best_value_per_column_respects_lower_is_better(report, known):
    table = report(format="json", metrics="all").table
    best = {
        key: [row.key for row in table.rows if key in row.cells and row.cells[key].best]
        for key in ("retrieval_zs/synth-msrvtt/t2v_R@1", "retrieval_zs/synth-msrvtt/t2v_R@10",
                    "retrieval_zs/synth-msrvtt/t2v_MdR", "retrieval_zs/msrvtt/t2v_R@1")
    }
    assert best["retrieval_zs/synth-msrvtt/t2v_R@1"] == [known["b"]]  # 15 > 12
    assert best["retrieval_zs/synth-msrvtt/t2v_R@10"] == [known["a"]]  # 40 > 38
    assert best["retrieval_zs/synth-msrvtt/t2v_MdR"] == [known["b"]]  # rank 4 < 5: lower is better
    # One measured value has nothing to beat; the paper's 28.6 is never "best measured".
    assert best["retrieval_zs/msrvtt/t2v_R@1"] == []


def test_paper_numbers_sit_only_in_real_dataset_columns(report, known):
    table = report(format="json").table
    paper = next(row for row in table.rows if row.key == "paper:S-ViLM")
    assert paper.source == PAPER_SOURCE
    # The real msrvtt column holds the paper's number beside run a's; the synthetic one never does.
    assert paper.cells["retrieval_zs/msrvtt/t2v_R@1"].value == 28.6
    assert not any(key.split("/")[1].startswith("synth") for key in paper.cells)
    synthetic = {c.key: c for c in table.columns}["retrieval_zs/synth-msrvtt/t2v_R@1"]
    assert synthetic.synthetic and synthetic.dataset_label == "synth-msrvtt (synthetic)"
    assert any("synthetic" in note for note in table.notes)


def test_paper_rows_with_no_runs():
    table = build_table([], [], PAPER_NUMBERS)
    assert [row.source for row in table.rows] == [PAPER_SOURCE] * 5
    values = {key: cell.value for row in table.rows if row.key == "paper:S-ViLM" for key, cell in row.cells.items()}
    assert values == {
        "retrieval_zs/msrvtt/t2v_R@1": 28.6, "retrieval_zs/msrvtt/t2v_R@10": 65.1,
        "retrieval_ft/msrvtt/t2v_R@1": 38.4, "retrieval_ft/msrvtt/t2v_R@10": 76.3,
        "qa/msrvtt-qa/acc": 43.5, "qa/msvd-qa/acc": 46.4,
        "action_linear/ucf101/top1": 94.8, "action_ft/ucf101/top1": 96.5,
        "action_linear/hmdb51/top1": 70.0, "action_ft/hmdb51/top1": 76.9,
        "tal/activitynet/mAP@0.50": 51.7, "tal/activitynet/avg_mAP": 35.6,
    }
    everything = build_table([], [], PAPER_NUMBERS, metrics="all")
    tal = {k: c.value for r in everything.rows for k, c in r.cells.items() if r.key == "paper:S-ViLM" and "tal" in k}
    assert tal["tal/activitynet/mAP@0.75"] == 36.4 and tal["tal/activitynet/mAP@0.95"] == 9.7
    tal_note = next(n.text for n in table.footnotes if "ActivityNet v1.3" in n.text)
    assert "HowTo100M" in tal_note and "G-TAD" in tal_note


def test_zero_is_a_value_and_missing_is_absent(report, known):
    table = report(format="json").table
    assert _cell(table, known["a"], "qa/synth-msvd-qa/acc").value == 0.0
    assert _cell(table, known["b"], "qa/synth-msvd-qa/acc") is None


def test_baseline_deltas(report, known):
    table = report(format="json", metrics="all", baseline=known["a"]).table
    assert next(row for row in table.rows if row.key == known["a"]).baseline
    assert _cell(table, known["b"], "retrieval_zs/synth-msrvtt/t2v_R@1").delta == pytest.approx(3.0)
    assert _cell(table, known["b"], "retrieval_zs/synth-msrvtt/t2v_MdR").delta == pytest.approx(-1.0)
    assert _cell(table, known["a"], "retrieval_zs/synth-msrvtt/t2v_R@1").delta is None  # the baseline itself
    # A baseline outside the selection joins it.
    only_b = report(format="json", runs=[known["b"]], baseline=known["a"]).table
    assert [r.key for r in only_b.rows if r.source == MEASURED] == [known["a"], known["b"]]


def test_one_footnote_per_distinct_protocol(report, known):
    table = report(format="json", paper="none").table
    texts = [note.text for note in table.footnotes]
    assert texts == [
        "measured: 8 frames, 1 view, split test, head zero-shot",
        "measured: 8 frames, 1 view, split test, head fusion transformer (2 layers)",
    ]
    for row in table.rows:
        for cell in row.cells.values():
            assert cell.footnote in (1, 2)  # no number without how it was measured
    assert _cell(table, known["a"], "qa/synth-msvd-qa/acc").footnote == 2


def test_newest_result_wins_and_mixed_annotations_are_flagged():
    runs = [{"id": "r1", "name": "r1", "recipe": "pretrain", "config_name": "tiny", "config": {}}]
    base = {"run_id": "r1", "task": "qa", "dataset": "msvd-qa", "split": "test", "metric": "acc", "n": 10}
    results = [
        {**base, "value": 10.0, "protocol": {"annotation_hash": "1" * 64, "dataset_kind": "msvd-qa"}},
        {**base, "value": 11.0, "protocol": {"annotation_hash": "2" * 64, "dataset_kind": "msvd-qa"}},
    ]
    table = build_table(results, runs)
    assert table.rows[0].cells["qa/msvd-qa/acc"].value == 11.0
    runs2 = [*runs, {**runs[0], "id": "r2", "name": "r2"}]
    table = build_table([results[0], {**results[1], "run_id": "r2"}], runs2)
    assert any("annotation versions" in note for note in table.notes)
