"""delay: a TCP relay that puts a network's round trip between its two
sides, on loopback, for scripts/https-bench (this kernel may have no
netem). Every byte is held RTT/2 before it goes on, each way, in order;
a new connection's first byte waits a whole RTT more, the TCP handshake
that a connect() over such a network would have cost.

  python3 delay.py LISTEN_PORT TARGET_PORT RTT_MS PORT_FILE

Writes its port to PORT_FILE once it listens (LISTEN_PORT 0: any).
Standard library only; stops on SIGTERM.

The extra round trip counts from the accept, before the relay's own
connection to the target: what the relay spends on that is no part of
the network it stands for. Its timers wake on select(2), which takes
microseconds where epoll's wait rounds up to a whole millisecond, with
the timer slack cut to a microsecond, SPIN before a byte is due, and
the relay spins the rest, where a sleep to the due time woke 0.1 ms to
a whole millisecond late, on each of the two ways of every round trip
(scripts/https-bench times a round trip through it). select(2) takes
no descriptor past 1023, which a bench of one request at a time never
nears.
"""

import asyncio
import ctypes
import selectors
import signal
import sys

SPIN = 0.0004       # s: less than a wake-up's lateness is never slept


async def pipe(reader, writer, half, first_extra, start):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def out():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > SPIN:
                await asyncio.sleep(wait - SPIN)
            while loop.time() < due:
                pass
            if data is None:
                break
            writer.write(data)
            await writer.drain()
        try:
            writer.write_eof()
        except OSError:
            pass

    task = asyncio.ensure_future(out())
    extra = first_extra
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            due = max(loop.time() + half, start + extra + half)
            extra = 0
            await queue.put((due, data))
    except OSError:
        pass
    await queue.put((loop.time() + half, None))
    await task


async def serve(target, rtt, port, port_file):
    half = rtt / 2

    async def on_client(cr, cw):
        start = asyncio.get_running_loop().time()
        try:
            ur, uw = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            cw.close()
            return
        try:
            await asyncio.gather(pipe(cr, uw, half, rtt, start),
                                 pipe(ur, cw, half, 0, start),
                                 return_exceptions=True)
        except asyncio.CancelledError:
            pass                # stopping: the connections just close
        for w in (uw, cw):
            w.close()

    server = await asyncio.start_server(on_client, "127.0.0.1", port,
                                        backlog=1024)
    with open(port_file, "w") as f:
        f.write(str(server.sockets[0].getsockname()[1]))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    PR_SET_TIMERSLACK = 29
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_TIMERSLACK, 1000,
                                                0, 0, 0)
    except (OSError, AttributeError):
        pass                    # the default slack: 50 us later a wake
    with asyncio.Runner(loop_factory=lambda: asyncio.SelectorEventLoop(
            selectors.SelectSelector())) as runner:
        runner.run(serve(int(sys.argv[2]), float(sys.argv[3]) / 1000,
                         int(sys.argv[1]), sys.argv[4]))
