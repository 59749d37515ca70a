"""Reports: result rows -> tables (rich, Markdown, CSV, JSON, HTML) and plots, beside the paper's numbers.

`core.report.build.build_report(settings, options)` is what `sviml report` calls. The pieces are
usable alone: `select.select_runs` (which runs), `table.build_table` (the pure pivot),
`ablation.build_ablation_table` (the paper's Table 6 layout), `paper` (the reference numbers), one
`render_*` module per format, and `plots`. Import them from their modules: `import core.report`
itself costs nothing.
"""
