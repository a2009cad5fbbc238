"""Prometheus metrics of indexing, in one registry of codekg's own.

Collected where the work happens (the parse cache, the parse pass, the watcher) and reported by
`codekg index --json`; the HTTP API serves the same registry at /metrics, with its request latencies. A registry of our own, not the process-wide
default, so that embedding codekg never collides with an application's metrics.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

PARSE_CACHE_HITS = Counter("parse_cache_hit", "Parse records served from the parse cache.", registry=REGISTRY)
PARSE_CACHE_MISSES = Counter("parse_cache_miss", "Parse records that had to be produced by an extractor.", registry=REGISTRY)
FILES_PER_SECOND = Gauge("files_processed_per_second", "Files per second in the last parse pass.", registry=REGISTRY)
ACTIVE_WORKERS = Gauge("active_workers", "Processes parsing files right now.", registry=REGISTRY)
BATCH_SIZE = Histogram(
    "batch_size", "Changed files per batch the watcher applied.",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000), registry=REGISTRY,
)
BATCH_SECONDS = Histogram(
    "batch_processing_duration_seconds", "Seconds the watcher spent applying one batch to the index.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300), registry=REGISTRY,
)

FILE_FAILURES = Counter(
    "file_failures", "Files a pass failed on: that file's share was skipped and the run went on.",
    ["pass", "kind"], registry=REGISTRY,
)

STORE_ROWS_WRITTEN = Counter("store_rows_written", "Rows a server store accepted.", ["store"], registry=REGISTRY)
STORE_RETRIES = Counter("store_retries", "Server store statements retried after a transient error.", ["store"], registry=REGISTRY)
STORE_FAILED_ROWS = Counter("store_failed_rows", "Rows a server store refused (sent to the dead-letter file).", ["store"], registry=REGISTRY)
HTTP_REQUEST_SECONDS = Histogram(
    "http_request_duration_seconds", "Seconds the HTTP API took to answer a request, by route template and status.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30), registry=REGISTRY,
)


def snapshot() -> dict[str, float]:
    """The registry's samples by name for JSON summaries: counters as `<name>_total`, histograms as
    `<name>_count` and `<name>_sum` (their buckets are in the Prometheus text, not worth a key each)."""
    return {
        sample.name + ("{" + ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items())) + "}" if sample.labels else ""): sample.value
        for metric in REGISTRY.collect()
        for sample in metric.samples
        if not sample.name.endswith(("_created", "_bucket"))
    }
