"""Chat fan-out on the local stack: time from send to last delivery for groups of 1, 10, 100 and 500
connections, DynamoDB calls per message, and the ratio 500/1 (target <= 10).

Starts the local stack (`python -m devstack --fresh --no-seed`, on free ports) as a subprocess, as the
e2e tests do. A group of N has N members with one websocket each; its owner sends over their socket
(`{"action": "send"}`): the sender's socket gets the ack, the other N-1 sockets `message.created`.
The time runs from the send to the last of the N frames. DynamoDB calls are counted by the stack
(GET /dev/stats/dynamodb: every PynamoDB call of the app, the timer sweep's polling left out). CPU is
measured apart for the stack's two Python processes: the runner (the local gateway: websockets,
@connections, HTTP) and the Lambda worker (the websocket handlers and their @connections posts).

    .venv/bin/python bench/chat_fanout.py [--messages 5] [--sizes 1,10,100,500]
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
    done = arrivals.expect(client_msg_id, size)
    started = time.perf_counter()
    await sender.send(
        json.dumps({"action": "send", "conversation_id": cid, "client_msg_id": client_msg_id, "body": "x"})
    )
    await asyncio.wait_for(done.wait(), TIMEOUT)
    return max(arrivals.times[client_msg_id]) - started


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


async def run(stack: Stack, sizes: list[int], messages: int) -> list[dict[str, Any]]:
    assert stack.process is not None
    gateway = psutil.Process(stack.process.pid)  # the runner: the local gateway
    handlers = psutil.Process(stack.info["child_pids"]["Lambda worker"])
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
        await _send_once(sender, cid, f"warm-{size}", size, arrivals)  # lazy imports, JIT, pools
        times, calls, gateway_cpu, handler_cpu, by_operation = [], [], [], [], defaultdict(list)
        for k in range(messages):
            requests.delete(f"{stack.url}/dev/stats/dynamodb", timeout=10)
            before = _cpu_seconds(gateway), _cpu_seconds(handlers)
            times.append(await _send_once(sender, cid, f"m-{size}-{k}", size, arrivals))
            gateway_cpu.append(_cpu_seconds(gateway) - before[0])
            handler_cpu.append(_cpu_seconds(handlers) - before[1])
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
                "gateway_cpu_ms": statistics.median(gateway_cpu) * 1000,
                "handler_cpu_ms": statistics.median(handler_cpu) * 1000,
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
    parser.add_argument("--sizes", default="1,10,100,500")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    with tempfile.TemporaryDirectory(prefix="sesh-bench-") as data:
        stack = Stack(Path(data), ["--fresh", "--no-seed", "--ws-idle-timeout", "3600"]).start()
        try:
            results = asyncio.run(run(stack, sizes, args.messages))
        except BaseException:
            print(f"--- stack log ---\n{stack.log()}", file=sys.stderr)
            raise
        finally:
            stack.stop()
    report(results)


def report(results: list[dict[str, Any]]) -> None:
    print()
    header = (
        f"{'connections':>11} {'median ms':>10} {'min ms':>8} {'max ms':>8} {'gateway CPU ms':>15} "
        f"{'handler CPU ms':>15} {'calls/msg':>10}"
    )
    print(header + "  DynamoDB calls by operation")
    for r in results:
        ops = ", ".join(f"{op} {count:g}" for op, count in r["by_operation"].items())
        print(
            f"{r['size']:>11} {r['median_ms']:>10.1f} {r['min_ms']:>8.1f} {r['max_ms']:>8.1f} "
            f"{r['gateway_cpu_ms']:>15.1f} {r['handler_cpu_ms']:>15.1f} {r['calls']:>10g}  {ops}"
        )
    first, last = results[0], results[-1]
    ratio = last["median_ms"] / first["median_ms"]
    per_post = (last["median_ms"] - first["median_ms"]) / max(1, last["size"] - first["size"])
    print(f"\nratio {last['size']}/{first['size']} (send to last delivery, medians): {ratio:.2f}  (target <= 10)")
    print(f"posts per message: one per connection; each extra connection adds {per_post:.2f} ms here")
    print(
        "gateway CPU ms: the runner process (the local gateway: it answers each @connections POST and writes\n"
        "the frame); handler CPU ms: the Lambda worker process (the handler, its DynamoDB calls and its signed\n"
        "POSTs). They run on separate cores; when the larger of them is close to the wall time, the fan-out is\n"
        "bound by that process, not by DynamoDB calls, which stay at 3 + ceil(N/100) per message. The bench's\n"
        "own websocket client and DynamoDB Local share the same machine."
    )


if __name__ == "__main__":
    main()
