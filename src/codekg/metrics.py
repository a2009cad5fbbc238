"""Prometheus metrics of indexing, in one registry of codekg's own.

Collected where the work happens (the parse cache, the parse pass, the watcher) and reported by
`codekg index --json`; the HTTP API serves the same registry at /metrics, with its request latencies. A registry of our own, not the process-wide
default, so that embedding codekg never collides with an application's metrics.

The metrics are declared as data below and made with prometheus_client at the first use of one (they are
this module's attributes, made by `__getattr__`): a process that records none, such as a `codekg index`
that finds nothing changed, does not import it (25 ms); its snapshot is every metric at zero.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

    REGISTRY: CollectorRegistry
    PARSE_CACHE_HITS: Counter
    PARSE_CACHE_MISSES: Counter
    FILES_PER_SECOND: Gauge
    ACTIVE_WORKERS: Gauge
    BATCH_SIZE: Histogram
    BATCH_SECONDS: Histogram
    FILE_FAILURES: Counter
    STORE_ROWS_WRITTEN: Counter
    STORE_RETRIES: Counter
    STORE_FAILED_ROWS: Counter
    COPY_ATTEMPTS: Counter
    COPY_FAILURES: Counter
    HTTP_REQUEST_SECONDS: Histogram
    SYNC_FILES: Counter
    SYNC_ERRORS: Counter
    SYNC_RETRIES: Counter
    SYNC_FILES_TOTAL: Gauge
    SYNC_FILES_DONE: Gauge
    SYNC_FILES_PER_SECOND: Gauge
    SYNC_ETA_SECONDS: Gauge
    SYNC_WRITE_SECONDS: Histogram
    SYNC_WORKER_FILES: Counter
    SYNC_QUEUED_FILES: Gauge
    SYNC_TERMS: Gauge


@dataclass(frozen=True, slots=True)
class _Metric:
    kind: str  # counter, gauge or histogram
    name: str
    documentation: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = ()  # a histogram's; none: prometheus_client's default


_METRICS: dict[str, _Metric] = {  # module attribute -> metric, in the order the registry lists them
    "PARSE_CACHE_HITS": _Metric("counter", "parse_cache_hit", "Parse records served from the parse cache."),
    "PARSE_CACHE_MISSES": _Metric("counter", "parse_cache_miss", "Parse records that had to be produced by an extractor."),
    "FILES_PER_SECOND": _Metric("gauge", "files_processed_per_second", "Files per second in the last parse pass."),
    "ACTIVE_WORKERS": _Metric("gauge", "active_workers", "Processes parsing files right now."),
    "BATCH_SIZE": _Metric(
        "histogram", "batch_size", "Changed files per batch the watcher applied.",
        buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
    ),
    "BATCH_SECONDS": _Metric(
        "histogram", "batch_processing_duration_seconds", "Seconds the watcher spent applying one batch to the index.",
        buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
    ),
    "FILE_FAILURES": _Metric(
        "counter", "file_failures", "Files a pass failed on: that file's share was skipped and the run went on.",
        ("pass", "kind"),
    ),
    "STORE_ROWS_WRITTEN": _Metric("counter", "store_rows_written", "Rows a server store accepted.", ("store",)),
    "STORE_RETRIES": _Metric("counter", "store_retries", "Server store statements retried after a transient error.", ("store",)),
    "STORE_FAILED_ROWS": _Metric("counter", "store_failed_rows", "Rows a server store refused (sent to the dead-letter file).", ("store",)),
    # Named with codekg_ as issue 20 asks (`codekg_copy_attempts_total`); the older metrics have no prefix.
    "COPY_ATTEMPTS": _Metric("counter", "codekg_copy_attempts", "Tables the embedded store bulk-loaded with COPY, or tried to."),
    "COPY_FAILURES": _Metric(
        "counter", "codekg_copy_failures",
        "COPYs the embedded store saw fail, by kind (stores/copy_failures.py); MERGE wrote each such table instead.",
        ("kind",),
    ),
    "HTTP_REQUEST_SECONDS": _Metric(
        "histogram", "http_request_duration_seconds", "Seconds the HTTP API took to answer a request, by route template and status.",
        ("method", "route", "status"),
        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    ),
    "SYNC_FILES": _Metric("counter", "codekg_sync_files", "Files a sync handled, by status: written, unchanged, "
                          "deleted, failed.", ("status",)),
    "SYNC_ERRORS": _Metric("counter", "codekg_sync_errors", "Errors a sync met, by class (sync/errors.py).", ("error_class",)),
    "SYNC_RETRIES": _Metric("counter", "codekg_sync_retries", "Operations a sync retried, by the class of the error.",
                            ("error_class",)),
    "SYNC_FILES_TOTAL": _Metric("gauge", "codekg_sync_files_total_in_tree", "Files of the remote tree the running sync covers."),
    "SYNC_FILES_DONE": _Metric("gauge", "codekg_sync_files_done", "Files of the tree the running sync has handled."),
    "SYNC_FILES_PER_SECOND": _Metric("gauge", "codekg_sync_files_per_second", "Files per second the running sync writes."),
    "SYNC_ETA_SECONDS": _Metric("gauge", "codekg_sync_eta_seconds", "Seconds the running sync still needs to write its files."),
    "SYNC_WORKER_FILES": _Metric("counter", "codekg_sync_worker_files", "Files each sync parse worker settled, by worker "
                                 "number and outcome: completed, failed.", ("worker", "outcome")),
    "SYNC_QUEUED_FILES": _Metric("gauge", "codekg_sync_queued_files", "Files written and waiting for a parse worker, by "
                                 "priority: critical, normal, batch.", ("priority",)),
    "SYNC_TERMS": _Metric("gauge", "codekg_sync_ontology_terms", "Ontology terms the running sync has parsed so far, by "
                          "kind: classes, properties, axioms.", ("kind",)),
    "SYNC_WRITE_SECONDS": _Metric(
        "histogram", "codekg_sync_write_seconds", "Seconds one file took to be written into the work tree.",
        buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
    ),
}
# The samples `snapshot` keeps of a metric without labels, as suffixes of its name, by kind
_SNAPSHOT_SUFFIXES = {"counter": ("_total",), "gauge": ("",), "histogram": ("_count", "_sum")}
_MAKING = threading.Lock()  # two threads using their first metric at once make one registry


def __getattr__(attribute: str) -> Any:
    """``REGISTRY`` and the metrics, made together at the first use of any of them."""
    if attribute != "REGISTRY" and attribute not in _METRICS:
        raise AttributeError(f"module {__name__!r} has no attribute {attribute!r}")
    with _MAKING:
        if "REGISTRY" not in globals():
            _make_registry()
    return globals()[attribute]


def _make_registry() -> None:
    from prometheus_client import CollectorRegistry

    kinds = _forwarding_kinds()
    registry = CollectorRegistry(auto_describe=True)
    made = {}
    for attribute, metric in _METRICS.items():
        options = {"buckets": metric.buckets} if metric.buckets else {}
        made[attribute] = kinds[metric.kind](metric.name, metric.documentation, labelnames=metric.labels,
                                             registry=registry, **options)
    globals().update(made)
    globals()["REGISTRY"] = registry  # last: once it is there, every metric is


def serve_metrics(port: int) -> None:
    """Serve the registry, with the process's own (memory, CPU), at http://127.0.0.1:``port``/metrics
    while this process runs (`codekg sync --metrics-port`)."""
    from prometheus_client import ProcessCollector, start_http_server

    registry = __getattr__("REGISTRY")
    ProcessCollector(registry=registry)
    start_http_server(port, addr="127.0.0.1", registry=registry)


# --- StatsD: every value recorded is also sent, when a server is configured ---------------------------

_STATSD: dict[str, Any] = {"client": None}


def forward_to_statsd(host: str, port: int, prefix: str) -> None:
    """Send every metric of the registry to the StatsD server at ``host``:``port`` as it is recorded:
    a counter's increments as counts, a gauge's values, a histogram's observations as timings (in
    milliseconds for the ones in seconds). Names: ``<prefix>.<metric>[.<label value>…]``. UDP: a
    server that is down or slow never holds the run up."""
    import logging

    from statsd import StatsClient

    try:
        _STATSD["client"] = StatsClient(host, port, prefix=prefix)
    except OSError as error:  # e.g. a host name that does not resolve
        logging.getLogger(__name__).warning("no StatsD metrics: cannot reach %s:%s (%s)", host, port, error)


def _statsd_name(metric: Any) -> str:
    labels = getattr(metric, "_labelvalues", ()) or ()
    return ".".join([metric._name, *(_statsd_part(value) for value in labels)])


def _statsd_part(value: str) -> str:
    return "".join(character if character.isalnum() or character in "-_" else "_" for character in str(value)) or "_"


def _forwarding_kinds() -> dict[str, type]:
    """prometheus_client's metric classes, each also sending what it records to StatsD (a child made
    by ``labels()`` is of its parent's class, so labelled values are sent too)."""
    from prometheus_client import Counter, Gauge, Histogram

    class ForwardingCounter(Counter):
        def inc(self, amount: float = 1, exemplar: Any = None) -> None:
            super().inc(amount, exemplar)
            if _STATSD["client"] is not None:
                _STATSD["client"].incr(_statsd_name(self), amount)

    class ForwardingGauge(Gauge):
        def set(self, value: float) -> None:
            super().set(value)
            if _STATSD["client"] is not None:
                _STATSD["client"].gauge(_statsd_name(self), value)

    class ForwardingHistogram(Histogram):
        def observe(self, amount: float, exemplar: Any = None) -> None:
            super().observe(amount, exemplar)
            if _STATSD["client"] is not None:
                seconds = self._name.endswith("_seconds")
                _STATSD["client"].timing(_statsd_name(self), amount * 1000 if seconds else amount)

    return {"counter": ForwardingCounter, "gauge": ForwardingGauge, "histogram": ForwardingHistogram}


def snapshot() -> dict[str, float]:
    """The registry's samples by name for JSON summaries: counters as `<name>_total`, histograms as
    `<name>_count` and `<name>_sum` (their buckets are in the Prometheus text, not worth a key each).
    Before the first use of a metric every one is at zero, and one with labels has no sample yet."""
    registry = globals().get("REGISTRY")
    if registry is None:
        return {metric.name + suffix: 0.0 for metric in _METRICS.values() if not metric.labels
                for suffix in _SNAPSHOT_SUFFIXES[metric.kind]}
    return {
        sample.name + ("{" + ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items())) + "}" if sample.labels else ""): sample.value
        for metric in registry.collect()
        for sample in metric.samples
        if not sample.name.endswith(("_created", "_bucket"))
    }
