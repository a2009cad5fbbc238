"""docs/grafana/codekg.json: valid JSON whose queries only use metrics codekg exports."""

import json
import re
from pathlib import Path

from codekg.metrics import REGISTRY

SAMPLE_SUFFIXES = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_count", "_sum")}

DASHBOARD = Path(__file__).parents[2] / "docs" / "grafana" / "codekg.json"


def test_dashboard_queries_exported_metrics():
    exported = {metric.name + suffix for metric in REGISTRY.collect() for suffix in SAMPLE_SUFFIXES[metric.type]}
    dashboard = json.loads(DASHBOARD.read_text())
    assert [v["name"] for v in dashboard["templating"]["list"]][0] == "datasource"
    expressions = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    used = {name for expr in expressions for name in re.findall(r"\b([a-z_]+(?:_total|_bucket|_count|_second|_workers))\b", expr)}
    assert used and used <= exported
    titles = " ".join(p["title"] for p in dashboard["panels"]).lower()
    for topic in ("request rate", "p50", "p95", "error rate", "parse cache hit rate", "files parsed per second",
                  "active parse workers", "batch size", "batch duration"):
        assert topic in titles
