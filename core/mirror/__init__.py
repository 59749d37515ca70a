"""Mirrors of sviml runs in other tools: TensorBoard (results and HParams) and MLflow (an optional extra).

`run_view.py` says once what a run looks like from outside (its parameters, its metric names, its
training scalars); `tensorboard.py` and `mlflow.py` write that view into each tool.
"""
