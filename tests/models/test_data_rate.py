"""The data-rate benchmark runs a worker's whole pipeline and accounts for its CPU time."""

from models.data import DataConfig
from models.data_rate import PHASES, SEND, format_report, report


def test_report_accounts_for_every_phase():
    config = DataConfig(batch_size=8, modality="mixed", sketch_fraction=0.5, parts_fraction=0.5)
    result = report(config, batches=2, warmup=0)
    assert result["examples"] == 16 and result["per_core"] > 0
    assert set(result["us_per_example"]) == {name for name, _ in PHASES} | {SEND}
    timed = sum(result["us_per_example"].values())
    assert 0 < timed <= 1e6 * result["cpu_s"] / result["examples"] + 1e-6
    assert result["us_per_example"]["features"] > 0 and result["us_per_example"][SEND] > 0
    assert "examples/s per core" in format_report("t", result)
