"""The metrics registry is codekg's own and renders as Prometheus text."""

from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from prometheus_client import generate_latest

from codekg.metrics import BATCH_SECONDS, BATCH_SIZE, REGISTRY, snapshot

SNAPSHOT_KEYS = {
    "parse_cache_hit_total", "parse_cache_miss_total", "files_processed_per_second", "active_workers",
    "batch_size_count", "batch_size_sum",
    "batch_processing_duration_seconds_count", "batch_processing_duration_seconds_sum",
    "codekg_copy_attempts_total",
    "codekg_sync_files_total_in_tree", "codekg_sync_files_done", "codekg_sync_files_per_second", "codekg_sync_eta_seconds",
    "codekg_sync_write_seconds_count", "codekg_sync_write_seconds_sum",
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
    # failures once a pass failed on a file (tests/test_faults.py), the COPY failures once a COPY
    # failed (tests/stores/test_copy_failures.py), the sync's labelled ones once a sync ran in this
    # process (tests/sync)
    labelled = {key for key in keys if key.startswith(("store_rows_written_total{", "store_retries_total{", "store_failed_rows_total{",
                                                        "http_request_duration_seconds_count{", "http_request_duration_seconds_sum{",
                                                        "file_failures_total{", "codekg_copy_failures_total{",
                                                        "codekg_sync_files_total{", "codekg_sync_errors_total{",
                                                        "codekg_sync_retries_total{", "codekg_sync_worker_files_total{",
                                                        "codekg_sync_queued_files{", "codekg_sync_ontology_terms{"))}
    assert keys - labelled == SNAPSHOT_KEYS


def test_copy_counters_are_exposed_under_their_issue_20_names():
    from codekg.metrics import COPY_ATTEMPTS, COPY_FAILURES

    COPY_ATTEMPTS.inc(0)
    COPY_FAILURES.labels("schema_mismatch").inc(0)
    samples = {line.split(" ")[0] for line in generate_latest(REGISTRY).decode().splitlines() if line and not line.startswith("#")}
    assert {"codekg_copy_attempts_total", 'codekg_copy_failures_total{kind="schema_mismatch"}'} <= samples


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


def test_with_a_statsd_host_every_metric_recorded_also_goes_to_statsd(copy_fixture):
    """A real `codekg index` process and a real UDP listener: the counters and gauges of /metrics arrive
    as StatsD lines (`<prefix>.<name>:<value>|c|g|ms`), summed per name."""
    import os
    import socket
    import subprocess
    import sys
    import time
    from collections import defaultdict

    repo = copy_fixture("pyrepo")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.settimeout(0.2)
        env = {**os.environ, "STATSD_HOST": "127.0.0.1", "STATSD_PORT": str(listener.getsockname()[1]),
               "CODEKG_STATSD_PREFIX": "kgtest", "CODEKG_PARSE_CACHE": "1"}
        run = subprocess.run([sys.executable, "-m", "codekg", "index", str(repo), "--quiet"], env=env,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        received: dict[tuple[str, str], list[float]] = defaultdict(list)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                datagram = listener.recv(65536).decode()
            except TimeoutError:
                break
            for line in datagram.splitlines():
                name, _, rest = line.partition(":")
                value, _, kind = rest.partition("|")
                received[(name, kind)].append(float(value))
    assert sum(received[("kgtest.parse_cache_miss", "c")]) == 5  # the fixture's five files, each parsed once
    assert ("kgtest.parse_cache_hit", "c") not in received
    assert received[("kgtest.active_workers", "g")][-1] == 0  # set to 0 when the parse pass ends
    assert received[("kgtest.files_processed_per_second", "g")][-1] > 0
