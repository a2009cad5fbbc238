"""The metrics registry is codekg's own and renders as Prometheus text."""

from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from prometheus_client import generate_latest

from codekg.metrics import BATCH_SECONDS, BATCH_SIZE, REGISTRY, snapshot

SNAPSHOT_KEYS = {
    "parse_cache_hit_total", "parse_cache_miss_total", "files_processed_per_second", "active_workers",
    "batch_size_count", "batch_size_sum",
    "batch_processing_duration_seconds_count", "batch_processing_duration_seconds_sum",
}


def test_own_registry_in_prometheus_text_format():
    text = generate_latest(REGISTRY).decode()
    samples = {line.split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}
    assert {"parse_cache_hit_total", "parse_cache_miss_total", "files_processed_per_second", "active_workers"} <= samples
    assert {'batch_size_bucket{le="50.0"}', "batch_processing_duration_seconds_count"} <= samples
    assert "parse_cache_hit_total" not in generate_latest(DEFAULT_REGISTRY).decode()
    keys = set(snapshot())
    # the per-store counters appear once a server store was written, the request latencies once the
    # HTTP API answered a request in this process (tests/analysis/test_server_store.py), the file
    # failures once a pass failed on a file (tests/test_faults.py)
    labelled = {key for key in keys if key.startswith(("store_rows_written_total{", "store_retries_total{", "store_failed_rows_total{",
                                                        "http_request_duration_seconds_count{", "http_request_duration_seconds_sum{",
                                                        "file_failures_total{"))}
    assert keys - labelled == SNAPSHOT_KEYS


def test_server_store_counters_are_labelled_by_store():
    from codekg.metrics import STORE_RETRIES

    STORE_RETRIES.labels("falkordb://h:1/metrics-test").inc(2)
    assert snapshot()['store_retries_total{store="falkordb://h:1/metrics-test"}'] == 2.0


def test_batch_histograms_in_snapshot():
    before = snapshot()
    BATCH_SIZE.observe(7)
    BATCH_SECONDS.observe(0.25)
    after = snapshot()
    assert after["batch_size_count"] - before["batch_size_count"] == 1
    assert after["batch_size_sum"] - before["batch_size_sum"] == 7
    assert after["batch_processing_duration_seconds_count"] - before["batch_processing_duration_seconds_count"] == 1
    assert after["batch_processing_duration_seconds_sum"] - before["batch_processing_duration_seconds_sum"] == 0.25
