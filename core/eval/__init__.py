"""Evaluation: the `EVALUATORS` table, the runner behind `sviml eval --all`, and offline scorers."""
