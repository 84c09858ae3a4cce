"""Ctrl-C interrupts a long call within about a second, and the deadline stops a
long document.

Each interrupt test runs a child Python that sizes its call to take about
CALL_S seconds (timed on a sample first, so the test does not depend on the
machine's speed; one text is capped at 16 MB, a few seconds of work), says
"ready", and starts it; the test sends SIGINT one second later (or at a
quarter of the call, if sooner). The child must raise KeyboardInterrupt from
inside the call within a few seconds, well before the call would have
finished, with no thread left behind, and the pipeline must work afterwards.
Without the signal checks KeyboardInterrupt comes only when the call returns.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import quotestance
from conftest import ROOT

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")

CALL_S = 20.0  # how long the interrupted call would run (a single text is capped at 16 MB)
WITHIN_S = 5.0  # generous: the interrupt must land well before that

CHILD = textwrap.dedent('''
    import json, os, sys, time
    import quotestance
    from conftest import ARTICLE

    mode, call_s = sys.argv[1], float(sys.argv[2])
    nlp = quotestance.load(use_models=False)
    # this process's threads (Linux; elsewhere not checked)
    tasks = lambda: len(os.listdir("/proc/self/task")) if os.path.isdir("/proc/self/task") else 0

    def run(n):
        if mode == "nlp":  # one long text; max_bytes raised to fit it
            big = ARTICLE * n
            return lambda: quotestance.load(use_models=False, max_bytes=len(big.encode()) + 1)(big)
        texts = [ARTICLE] * n
        threads = 2 if mode == "pipe2" else 1
        return lambda: list(nlp.pipe(texts, batch_size=len(texts), n_threads=threads))

    # size the call: time a sample, then scale it to call_s seconds; one text
    # is capped at 16 MB (memory), which still takes seconds
    n = 64
    while True:
        t = time.perf_counter(); run(n)(); took = time.perf_counter() - t
        if took > 0.3:
            break
        n *= 4
    scaled = int(n * call_s / took)
    if mode == "nlp":
        scaled = min(scaled, (16 << 20) // len(ARTICLE.encode()))
    expected = took * scaled / n
    call = run(scaled)
    before = tasks()
    print(json.dumps({"ready": True, "n": scaled, "expected": expected}), flush=True)
    t0 = time.perf_counter()
    try:
        call()
        print(json.dumps({"finished": time.perf_counter() - t0}), flush=True)
    except KeyboardInterrupt as e:
        took = time.perf_counter() - t0
        after = tasks()
        ok = nlp("\\u201cGo,\\u201d said Cllr Ada Finch.").ok
        print(json.dumps({"interrupted": took, "expected": expected, "threads_before": before,
                          "threads_after": after, "still_works": ok}), flush=True)
''')


def run_child(mode: str) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "python" / "tests"),
                                                       os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, "-c", CHILD, mode, str(CALL_S)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line, f"the child died before the call: {proc.stderr.read() if proc.stderr else ''}"
        ready = json.loads(line)
        # ~1 s into the call (sooner on a machine fast enough to label the
        # capped text in under 4 s)
        time.sleep(min(1.0, ready["expected"] / 4))
        sent = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=CALL_S * 3)
        exited = time.perf_counter() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    res = json.loads(out.strip().splitlines()[-1])
    assert "interrupted" in res, f"the call ran to the end instead of stopping: {res}"
    res["exited"] = exited
    return res


@pytest.mark.parametrize("mode", ["nlp", "pipe1", "pipe2"])
def test_ctrl_c_interrupts_a_long_call(mode: str) -> None:
    res = run_child(mode)
    # SIGINT came ~1 s into a call sized to CALL_S seconds (a single text: a
    # few seconds); without signal checks KeyboardInterrupt would come only
    # when the call returns
    assert res["interrupted"] < 1.0 + WITHIN_S, res
    assert res["interrupted"] < 0.75 * res["expected"], res
    assert res["exited"] < WITHIN_S, res
    assert res["threads_after"] == res["threads_before"], res  # the workers were joined
    assert res["still_works"], res


def test_deadline_stops_a_long_document(article: str) -> None:
    big = article * 2000  # ~1.3 MB: far more than 1 ms of work
    fast = quotestance.load(deadline_ms=1)
    assert fast.config["deadline_ms"] == 1
    with pytest.raises(quotestance.InputError, match=r"longer than the limit of 1 ms \(Config::deadline_ms\)"):
        fast(big)
    # in a batch only the long document stops: 100 ms is ample for a short
    # one (even on a loaded machine) and far too little for 5 MB
    huge = article * 8000
    out = list(quotestance.load(deadline_ms=100).pipe(["Short.", huge, "Short too."], n_threads=2))
    assert [o.ok for o in out] == [True, False, True]
    assert isinstance(out[1], quotestance.ErrorRecord) and isinstance(out[1].exception, quotestance.InputError)
    assert "deadline_ms" in out[1].error
    # no limit by default, and a generous one does not stop an ordinary document
    assert quotestance.load().config["deadline_ms"] == 0
    assert quotestance.load(deadline_ms=60_000)(big).ok


@pytest.mark.parametrize("bad", [-1, 1.5, "10", True])
def test_bad_deadline_is_a_config_error(bad: object) -> None:
    with pytest.raises(quotestance.ConfigError):
        quotestance.load(deadline_ms=bad)
