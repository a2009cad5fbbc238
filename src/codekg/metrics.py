"""Prometheus metrics of indexing, in one registry of codekg's own.

Collected where the work happens (the parse cache, the parse pass) and reported by `codekg index
--json`; the HTTP API will serve the same registry. A registry of our own, not the process-wide
default, so that embedding codekg never collides with an application's metrics.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

REGISTRY = CollectorRegistry(auto_describe=True)

PARSE_CACHE_HITS = Counter("parse_cache_hit", "Parse records served from the parse cache.", registry=REGISTRY)
PARSE_CACHE_MISSES = Counter("parse_cache_miss", "Parse records that had to be produced by an extractor.", registry=REGISTRY)
FILES_PER_SECOND = Gauge("files_processed_per_second", "Files per second in the last parse pass.", registry=REGISTRY)
ACTIVE_WORKERS = Gauge("active_workers", "Processes parsing files right now.", registry=REGISTRY)


def snapshot() -> dict[str, float]:
    """Every sample of the registry by name (counters as `<name>_total`), for JSON summaries."""
    return {
        sample.name: sample.value
        for metric in REGISTRY.collect()
        for sample in metric.samples
        if not sample.name.endswith("_created")
    }
