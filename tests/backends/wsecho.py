#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A WebSocket echo server (Debian's python3-websockets, asyncio).

    wsecho.py --bind 198.18.0.51:8000

Every text or binary message is sent back unchanged, on any path. The
handshake is the library's: it answers 101 to a valid Upgrade request and
400/426 otherwise. Prints "listening on A:P" on stdout when ready and one
line "open PATH from A:P" per WebSocket opened (so a test sees the request
path and the peer, i.e. that the connection came through fanout).
Stops on SIGTERM/SIGINT.
"""

import argparse
import asyncio
import signal

import websockets


async def echo(ws, path=None):
    # websockets 10.x passes the path as a second argument (deprecated) or on ws.path
    path = path if path is not None else getattr(ws, "path", "?")
    peer = ws.remote_address
    print("open %s from %s:%d" % (path, peer[0], peer[1]), flush=True)
    try:
        async for msg in ws:
            await ws.send(msg)
    except websockets.ConnectionClosed:
        pass


async def serve(host, port):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set_result, None)
    async with websockets.serve(echo, host, port, max_size=16 << 20):
        print("listening on %s:%d" % (host, port), flush=True)
        await stop


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bind", required=True, help="A.B.C.D:PORT")
    a = p.parse_args()
    host, port = a.bind.rsplit(":", 1)
    asyncio.run(serve(host, int(port)))


if __name__ == "__main__":
    main()
