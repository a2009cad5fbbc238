"""The metrics registry is codekg's own and renders as Prometheus text."""

from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from prometheus_client import generate_latest

from codekg.metrics import REGISTRY, snapshot


def test_own_registry_in_prometheus_text_format():
    text = generate_latest(REGISTRY).decode()
    samples = {line.split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}
    assert {"parse_cache_hit_total", "parse_cache_miss_total", "files_processed_per_second", "active_workers"} <= samples
    assert "parse_cache_hit_total" not in generate_latest(DEFAULT_REGISTRY).decode()
    assert set(snapshot()) == {"parse_cache_hit_total", "parse_cache_miss_total", "files_processed_per_second", "active_workers"}
