"""The Train page's comparison with the baselines: verdict, table, intervals, season control."""

from __future__ import annotations

import json

from conftest import errors_of, poll, run_page, shown

AIRLINE = "Airline passengers (monthly sample)"


def test_a_run_on_the_airline_sample_is_compared_with_every_baseline(app, store):
    at = run_page(app, "train.py")
    at.selectbox(key="train-source").set_value(AIRLINE).run()
    assert at.selectbox(key="train-target").value == "Passengers"
    at.number_input(key="train-lookback").set_value(12)
    at.select_slider(key="train-hidden").set_value(8)
    at.number_input(key="train-epochs").set_value(3)
    at.run()
    at.button(key="trainbtn-start").click().run()
    at = poll(at, lambda a: "run" in a.session_state, timeout=300)
    at.run()
    assert not errors_of(at)
    run = at.session_state["run"]
    report = run.extras["baselines"]
    assert report["season_length"] == 12 and report["season_source"] == "monthly data"
    # the verdict names the best method on the test span, in words
    verdict = next(shown(m.value) for m in at.markdown if "Verdict" in str(m.value))
    best = report["spans"]["test"]["best"]
    assert "On the test span" in verdict and report["verdict"] in verdict
    assert (best == "LSTM" and "the LSTM is the best method" in verdict) or best in verdict
    # the test table: the network and every baseline with the report's numbers
    assert at.number_input(key="train-season").value == 12
    table = next(d.value for d in at.dataframe if "MAE / best baseline" in d.value.columns)
    methods = list(table.index)
    assert methods[:1] == ["LSTM"]
    for name in ("naive", "seasonal naive", "drift", "AutoETS", "AutoARIMA", "AutoTheta"):
        assert name in methods
    test = report["spans"]["test"]["scores"]
    assert table.loc["seasonal naive", "MASE"] == test["seasonal naive"]["mase"]
    # coverage of each interval at the default 80 % level, and the band on the chart
    cov = next(d.value for d in at.dataframe if "test coverage" in d.value.columns)
    assert {"LSTM (conformal)", "AutoETS", "AutoARIMA", "AutoTheta"} <= set(cov.index)
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.proto.spec]
    titles = [(c["layout"].get("title") or {}).get("text", "") for c in charts]
    fc = charts[next(i for i, t in enumerate(titles) if t.startswith("One-step"))]
    assert fc["data"][0]["name"].startswith("80% conformal interval (test coverage ")
    # the saved run carries the report for the Runs page and reopened runs
    info = store.list()[0]
    assert info.meta["baselines"]["verdict"] == report["verdict"]
    # another season length recomputes the comparison for this run
    at.number_input(key="train-season").set_value(1).run()
    assert not errors_of(at)
    table = next(d.value for d in at.dataframe if "MAE / best baseline" in d.value.columns)
    note = table.loc["seasonal naive", "note"]
    assert "season length 1" in note
    assert any("Season length m=1 (set by you)" in shown(c.value) for c in at.caption)


def test_the_runs_table_shows_the_best_method_and_tolerates_older_runs():
    from dashboard.runs.figures import metrics_table

    report = {"model": "LSTM", "spans": {"test": {"best": "AutoETS",
              "scores": {"LSTM": {"rel_mae": 1.3}}}}}  # fmt: skip
    table = metrics_table({"new": {"baselines": report}, "old": {}, "bad": {"baselines": [1]}})
    assert table.loc[0, "best on test"] == "AutoETS"
    assert table.loc[0, "MAE / best baseline"] == 1.3
    assert table.loc[1, "best on test"] is None and table.loc[2, "best on test"] is None


def test_a_run_saved_before_the_comparison_gets_it_when_shown(app):
    """An older run (no report in its extras) reopened on the Train page: the comparison is
    computed there, with the season inferred from its dates."""
    from core.config import DataConfig, ModelConfig, TrainConfig
    from core.data import load_sample
    from core.forecast.run import fit_forecaster

    cfg = DataConfig(target="Passengers", lookback=12)
    run = fit_forecaster(load_sample("airline"), cfg, ModelConfig(hidden_size=4),
                         TrainConfig(epochs=1))  # fmt: skip
    assert "baselines" not in run.extras
    app.session_state["run"] = run
    at = run_page(app, "train.py")
    assert not errors_of(at)
    assert at.number_input(key="train-season").value == 12
    table = next(d.value for d in at.dataframe if "MAE / best baseline" in d.value.columns)
    assert "AutoARIMA" in table.index
    assert any(shown(m.value).startswith("**Verdict.** On the test span") for m in at.markdown)
