"""delay: a TCP relay that puts a network's round trip between its two
sides, on loopback, for scripts/https-bench (this kernel may have no
netem). Every byte is held RTT/2 before it goes on, each way, in order;
a new connection's first byte waits a whole RTT more, the TCP handshake
that a connect() over such a network would have cost.

  python3 delay.py LISTEN_PORT TARGET_PORT RTT_MS PORT_FILE

Writes its port to PORT_FILE once it listens (LISTEN_PORT 0: any).
Standard library only; stops on SIGTERM.
"""

import asyncio
import signal
import sys


async def pipe(reader, writer, half, first_extra):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()
    start = loop.time()

    async def out():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
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
        try:
            ur, uw = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            cw.close()
            return
        try:
            await asyncio.gather(pipe(cr, uw, half, rtt),
                                 pipe(ur, cw, half, 0),
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
    asyncio.run(serve(int(sys.argv[2]), float(sys.argv[3]) / 1000,
                      int(sys.argv[1]), sys.argv[4]))
