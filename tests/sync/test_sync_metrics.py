"""A sync's metrics, scraped over HTTP from `serve_metrics` as Prometheus would, and the alert rules
and dashboard in docs/operations naming only metrics that exist."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml
from git_servers import free_port, make_repository

OPERATIONS = Path(__file__).parent.parent.parent / "docs" / "operations"
SCRAPE = """
import sys, urllib.request
from pathlib import Path
from codekg.metrics import serve_metrics
from codekg.settings import load_settings
from codekg.sync.run import sync_repository
port = int(sys.argv[3])
serve_metrics(port)
sync_repository(sys.argv[1], Path(sys.argv[2]), load_settings(Path(sys.argv[2]).parent))
print(urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode())
"""


def scraped(tmp_path: Path) -> str:
    source = make_repository(tmp_path / "src")
    done = subprocess.run([sys.executable, "-c", SCRAPE, str(source), str(tmp_path / "db"), str(free_port())],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_sync_serves_its_counts_throughput_and_process_memory(tmp_path):
    text = scraped(tmp_path)
    samples = dict(line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    assert float(samples['codekg_sync_files_total{status="written"}']) == 7
    assert float(samples["codekg_sync_files_total_in_tree"]) == 7 and float(samples["codekg_sync_files_done"]) == 7
    assert float(samples["codekg_sync_write_seconds_count"]) == 7
    assert float(samples["process_resident_memory_bytes"]) > 0
    names = {re.split(r"[{ ]", line)[0] for line in text.splitlines() if line and not line.startswith("#")}

    def known(metric: str) -> bool:
        return any(name == metric or name.startswith(metric + "_") for name in names) or metric in (
            "codekg_sync_errors_total", "codekg_sync_retries_total")  # labelled: no sample until the first error

    rules = yaml.safe_load((OPERATIONS / "alerts.yml").read_text())
    expressions = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    dashboard = json.loads((OPERATIONS / "grafana-dashboard.json").read_text())
    expressions += [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    used = {metric for expression in expressions for metric in re.findall(r"\b(?:codekg_sync_\w+|process_\w+|active_workers)\b", expression)}
    assert used and {metric for metric in used if not known(metric)} == set()
    assert {rule["alert"] for group in rules["groups"] for rule in group["rules"]} == {
        "CodekgSyncErrorRateHigh", "CodekgSyncSlow", "CodekgSyncMemoryHigh"}
