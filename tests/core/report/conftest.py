"""Fixtures of the report tests: a registry filled with known runs and results."""

from __future__ import annotations

import pytest

from tests.core.report.helpers import fill_known


@pytest.fixture
def known(registry, home):
    """{"a", "b", "head", "empty"} -> run id, in a registry with the known rows of `helpers.fill_known`."""
    return fill_known(registry, home)


@pytest.fixture
def report(settings, known):
    """`report(**options)` -> ReportOutput over the known registry."""
    from core.report.build import ReportOptions, build_report

    def call(**options):
        return build_report(settings, ReportOptions(**options))

    return call
