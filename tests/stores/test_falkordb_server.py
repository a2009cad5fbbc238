"""The FalkorDB test server: starts, answers, fails the way docs/falkordb-notes.md says when killed, restarts."""

from __future__ import annotations

import socket
import threading

import psutil
import pytest
import redis

from falkordb_server import FalkorDBServer, FalkorDBServerError


def test_shared_server_answers_a_query(falkordb_server, falkordb_graph_uri):
    graph = falkordb_graph_uri.rsplit("/", 1)[1]
    assert falkordb_graph_uri == f"falkordb://127.0.0.1:{falkordb_server.port}/{graph}"
    client = falkordb_server.client()
    result = client.select_graph(graph).query("CREATE (n:Function {id: $id}) RETURN n.id", {"id": "f1"})
    assert result.result_set == [["f1"]]
    client.close()


def test_each_test_gets_its_own_graph(falkordb_server, falkordb_graph_uri):
    graph = falkordb_graph_uri.rsplit("/", 1)[1]
    client = falkordb_server.client()
    assert graph not in client.list_graphs()
    client.close()


def test_kill_fails_queries_with_a_connection_error_and_restart_brings_the_same_port_back(falkordb_server_fresh):
    server = falkordb_server_fresh
    port, first_pid = server.port, server.pid
    graph = server.client().select_graph("g")
    assert graph.query("RETURN 1").result_set == [[1]]

    server.kill()
    assert not psutil.pid_exists(first_pid)
    with pytest.raises(redis.ConnectionError, match="Connection refused"):
        graph.query("RETURN 1")

    server.restart()
    assert server.port == port and server.pid != first_pid
    assert graph.query("RETURN 2").result_set == [[2]]


def test_a_killed_server_loses_unsaved_data_and_a_persistent_one_keeps_it_across_a_stop():
    with FalkorDBServer(persistent=True) as server:
        server.client().select_graph("g").query("CREATE (:Kept)")
        server.restart()
        assert server.client().select_graph("g").query("MATCH (n:Kept) RETURN count(n)").result_set == [[1]]
    with FalkorDBServer() as server:
        server.client().select_graph("g").query("CREATE (:Lost)")
        server.kill()
        server.start()
        assert "g" not in server.client().list_graphs()


def test_stop_leaves_no_process():
    server = FalkorDBServer().start()
    process = psutil.Process(server.pid)
    assert "redis-server" in process.name()
    server.close()
    assert not psutil.pid_exists(process.pid)
    assert not server.dir.exists()


def test_restart_waits_for_a_port_that_is_briefly_taken():
    with FalkorDBServer(start_timeout=10) as server:
        server.stop()
        squatter = socket.socket()
        squatter.bind(("127.0.0.1", server.port))
        squatter.listen()
        threading.Timer(1.0, squatter.close).start()
        server.start()
        assert "Address already in use" in server.log_tail(lines=1000)
        assert server.client().select_graph("g").query("RETURN 1").result_set == [[1]]


def test_a_server_that_cannot_start_fails_with_its_log():
    server = FalkorDBServer(extra_args=("--no-such-option", "1"))
    with pytest.raises(FalkorDBServerError, match="no-such-option"):
        server.start()
    server.close()
    assert not server.dir.exists()


def test_the_server_dies_with_the_process_that_started_it(tmp_path):
    """An interrupted or killed test run runs neither `stop` nor atexit: the kernel ends the server."""
    import os
    import signal
    import subprocess
    import sys
    import time

    program = ("import sys, time\nsys.path.insert(0, sys.argv[1])\nfrom falkordb_server import FalkorDBServer\n"
               "server = FalkorDBServer()\nserver.start()\nprint(server.process.pid, flush=True)\ntime.sleep(600)\n")
    runner = subprocess.Popen([sys.executable, "-c", program, os.path.dirname(__file__)], stdout=subprocess.PIPE, text=True)
    server_pid = int(runner.stdout.readline())
    os.kill(server_pid, 0)  # running
    runner.send_signal(signal.SIGKILL)
    runner.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(server_pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError(f"redis-server {server_pid} outlived the test process")
