"""Chat fan-out on the local stack: time from send to last delivery for groups of 1, 10, 100 and 500
connections, DynamoDB calls per message, and the ratio 500/1 (target <= 10).

Starts the local stack (`python -m devstack --fresh --no-seed`, on free ports) as a subprocess, as the
e2e tests do. A group of N has N members with one websocket each; its owner sends over their socket
(`{"action": "send"}`): the sender's socket gets the ack, the other N-1 sockets `message.created`.
The time runs from the send to the last of the N frames. DynamoDB calls are counted by the stack
(GET /dev/stats/dynamodb: every PynamoDB call of the app, the timer sweep's polling left out). CPU is
measured apart for the stack's two Python processes: the runner (the local gateway: websockets,
@connections, HTTP) and the Lambda worker (the websocket handlers and their @connections posts).

    .venv/bin/python bench/chat_fanout.py [--messages 5] [--warmup 5] [--sizes 1,10,100,500]

Before each size's measured messages, `--warmup` messages are sent and not measured: the first loads
the handlers' lazy imports and opens connection pools, the next let DynamoDB Local's JVM compile the
code paths of reading that many connection sets (it runs them several times slower until then).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import psutil
import requests
import uvloop
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.stack import Stack  # noqa: E402  (after the path is set)

CONNECT_PARALLEL = 24
TIMEOUT = 60.0


class Arrivals:
    """When each socket got the frame of each client_msg_id; wakes the waiter when all did."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.expected: dict[str, int] = {}
        self.done: dict[str, asyncio.Event] = {}
        self.refused: dict[str, dict[str, Any]] = {}  # client_msg_id -> the error frame's data

    def refuse(self, data: dict[str, Any]) -> None:
        client_msg_id = data.get("client_msg_id")
        if client_msg_id in self.done:
            self.refused[client_msg_id] = data
            self.done[client_msg_id].set()

    def expect(self, client_msg_id: str, count: int) -> asyncio.Event:
        self.expected[client_msg_id] = count
        self.done[client_msg_id] = asyncio.Event()
        return self.done[client_msg_id]

    def arrived(self, client_msg_id: str) -> None:
        stamps = self.times[client_msg_id]
        stamps.append(time.perf_counter())
        if len(stamps) == self.expected.get(client_msg_id, -1):
            self.done[client_msg_id].set()


async def _listen(ws: ClientConnection, arrivals: Arrivals) -> None:
    async for raw in ws:
        frame = json.loads(raw)
        if frame["type"] in ("message.created", "message.sent"):
            arrivals.arrived(frame["data"]["client_msg_id"])
        elif frame["type"] == "error":
            arrivals.refuse(frame["data"])


def _token(stack: Stack) -> tuple[str, str]:
    response = requests.post(f"{stack.url}/dev/token", json={"name": "Bench"}, timeout=10)
    body = response.json()
    return body["token"], body["user_id"]


def _rest(stack: Stack, token: str, method: str, path: str, **kwargs: Any) -> Any:
    response = requests.request(
        method, stack.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=60, **kwargs
    )
    assert response.status_code < 300, (path, response.status_code, response.text)
    return response.json()


def _group(stack: Stack, owner_token: str, member_ids: list[str]) -> str:
    first, rest = member_ids[:50], member_ids[50:]
    body = {"type": "group", "name": "Bench", "member_ids": first}
    cid = str(_rest(stack, owner_token, "POST", "/v1/conversations", json=body)["id"])
    for start in range(0, len(rest), 50):
        _rest(
            stack, owner_token, "POST", f"/v1/conversations/{cid}/members", json={"user_ids": rest[start : start + 50]}
        )
    return cid


async def _connect_all(stack: Stack, tokens: list[str], arrivals: Arrivals) -> list[ClientConnection]:
    gate = asyncio.Semaphore(CONNECT_PARALLEL)

    async def one(token: str) -> ClientConnection:
        async with gate:
            ws = await connect(
                f"{stack.ws_url}?token={token}",
                ping_interval=None,
                open_timeout=TIMEOUT,
                compression=None,  # API Gateway negotiates no permessage-deflate; clients of it get none
            )
        asyncio.get_running_loop().create_task(_listen(ws, arrivals))
        return ws

    # The first connect alone: it loads the app's lazily imported modules (not thread-safe on 3.11).
    first = await one(tokens[0])
    return [first, *await asyncio.gather(*(one(t) for t in tokens[1:]))]


async def _send_once(sender: ClientConnection, cid: str, client_msg_id: str, size: int, arrivals: Arrivals) -> float:
    """Send and wait for all `size` frames; a send over the chat's rate limit waits out its window
    (outside the measured time) and goes again."""
    for attempt in range(3):
        key = f"{client_msg_id}-{attempt}"
        done = arrivals.expect(key, size)
        started = time.perf_counter()
        await sender.send(json.dumps({"action": "send", "conversation_id": cid, "client_msg_id": key, "body": "x"}))
        await asyncio.wait_for(done.wait(), TIMEOUT)
        refused = arrivals.refused.get(key)
        if refused is None:
            return max(arrivals.times[key]) - started
        if refused.get("code") != "rate_limited":
            raise RuntimeError(f"the send was refused: {refused}")
        await asyncio.sleep(float(refused.get("retry_after", 1)))
    raise RuntimeError("still rate limited after waiting out the window twice")


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


async def run(stack: Stack, sizes: list[int], messages: int, warmup: int) -> list[dict[str, Any]]:
    assert stack.process is not None
    pids = stack.info["child_pids"]
    processes = {  # whose CPU each message costs; they share the machine's cores
        "gateway": psutil.Process(stack.process.pid),  # the runner: the local gateway
        "handler": psutil.Process(pids["Lambda worker"]),
        "clients": psutil.Process(),  # this bench: the members' websocket clients
    }
    if "dynamodb-local" in pids:
        processes["dynamodb"] = psutil.Process(pids["dynamodb-local"])
    arrivals = Arrivals()
    largest = max(sizes)
    print(f"creating {largest - 1 + len(sizes)} users and connecting them...", flush=True)
    owners = [_token(stack) for _ in sizes]
    receivers = [_token(stack) for _ in range(largest - 1)]
    sockets = await _connect_all(stack, [t for t, _ in owners + receivers], arrivals)  # connecting creates users
    owner_sockets = sockets[: len(sizes)]
    receiver_ids = [uid for _, uid in receivers]
    groups = []
    for (token, _), size in zip(owners, sizes, strict=True):
        groups.append(await asyncio.to_thread(_group, stack, token, receiver_ids[: size - 1]))
    results = []
    for index, (size, cid) in enumerate(zip(sizes, groups, strict=True)):
        sender = owner_sockets[index]
        for k in range(warmup):
            await _send_once(sender, cid, f"warm-{size}-{k}", size, arrivals)
        times, calls, by_operation = [], [], defaultdict(list)
        cpu: dict[str, list[float]] = defaultdict(list)
        for k in range(messages):
            requests.delete(f"{stack.url}/dev/stats/dynamodb", timeout=10)
            before = {name: _cpu_seconds(process) for name, process in processes.items()}
            times.append(await _send_once(sender, cid, f"m-{size}-{k}", size, arrivals))
            for name, process in processes.items():
                cpu[name].append(_cpu_seconds(process) - before[name])
            stats = requests.get(f"{stack.url}/dev/stats/dynamodb", timeout=10).json()
            calls.append(stats["total"])
            for operation, count in stats["by_operation"].items():
                by_operation[operation].append(count)
        results.append(
            {
                "size": size,
                "median_ms": statistics.median(times) * 1000,
                "min_ms": min(times) * 1000,
                "max_ms": max(times) * 1000,
                "calls": statistics.median(calls),
                "cpu_ms": {name: statistics.median(values) * 1000 for name, values in cpu.items()},
                "by_operation": {op: statistics.median(v) for op, v in sorted(by_operation.items())},
            }
        )
        print(f"  {size:>4} connections: {results[-1]['median_ms']:8.1f} ms", flush=True)
    for ws in sockets:
        await ws.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5, help="measured messages per group size")
    parser.add_argument("--warmup", type=int, default=5, help="messages sent before, not measured (at least 1)")
    parser.add_argument("--sizes", default="1,10,100,500")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    with tempfile.TemporaryDirectory(prefix="sesh-bench-") as data:
        stack = Stack(Path(data), ["--fresh", "--no-seed", "--ws-idle-timeout", "3600"]).start()
        try:
            # uvloop: the 500 members' clients should cost this machine's cores as little as they can
            results = uvloop.run(run(stack, sizes, args.messages, max(1, args.warmup)))
        except BaseException:
            print(f"--- stack log ---\n{stack.log()}", file=sys.stderr)
            raise
        finally:
            stack.stop()
    report(results)


def report(results: list[dict[str, Any]]) -> None:
    print()
    names = list(results[0]["cpu_ms"])
    cpu_header = "".join(f"{'CPU ' + name:>14}" for name in names)
    header = f"{'connections':>11} {'median ms':>10} {'min ms':>8} {'max ms':>8}{cpu_header} {'calls/msg':>10}"
    print(header + "  DynamoDB calls by operation")
    for r in results:
        ops = ", ".join(f"{op} {count:g}" for op, count in r["by_operation"].items())
        cpu = "".join(f"{r['cpu_ms'][name]:>14.0f}" for name in names)
        print(
            f"{r['size']:>11} {r['median_ms']:>10.1f} {r['min_ms']:>8.1f} {r['max_ms']:>8.1f}{cpu} "
            f"{r['calls']:>10g}  {ops}"
        )
    first, last = results[0], results[-1]
    ratio = last["median_ms"] / first["median_ms"]
    per_post = (last["median_ms"] - first["median_ms"]) / max(1, last["size"] - first["size"])
    print(f"\nratio {last['size']}/{first['size']} (send to last delivery, medians): {ratio:.2f}  (target <= 10)")
    print(f"posts per message: one per connection; each extra connection adds {per_post:.2f} ms here")
    print(
        "CPU ms per message (medians, in 10 ms ticks) of each process on this machine: gateway, the runner\n"
        "(the local gateway: it answers each @connections POST and writes the frame); handler, the Lambda\n"
        "worker (the handler, its DynamoDB calls and its signed POSTs); clients, this bench's websocket\n"
        "clients (in production, the members' own devices); dynamodb, DynamoDB Local. When their sum is close\n"
        "to the wall time times the cores, the fan-out is bound by this machine's CPU, not by DynamoDB\n"
        "calls, which stay at 3 + ceil(N/100) per message."
    )


if __name__ == "__main__":
    main()
