"""A real Sender in its own process, until SIGTERM (graceful stop) or SIGKILL (a crash).

    python -m tests.delivery.sender_process DATABASE_URL BASE_URL [--scale K] [--lease S] ...

Prints `ready` once the sender runs, `stopped` after a graceful stop; exits 0 after SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import signal
import sys
import time

from bot.clock import SystemClock
from engines.sender import Sender
from storage.factory import open_store
from tests.delivery.support import HEADROOM, SCALE, make_bot, sender_config


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sender_process")
    parser.add_argument("database_url")
    parser.add_argument("base_url")
    parser.add_argument("--scale", type=float, default=SCALE * HEADROOM)
    parser.add_argument("--lease", type=float, default=2.0, help="seconds")
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--grace", type=float, default=5.0)
    parser.add_argument("--worker-id", default="proc")
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> None:
    store = open_store(args.database_url)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stopping.set)
    loop.add_signal_handler(signal.SIGINT, stopping.set)
    config = sender_config(
        args.scale, lease=dt.timedelta(seconds=args.lease), workers=args.workers, batch=args.batch
    )
    try:
        async with make_bot(args.base_url, pool=args.workers * 2) as bot:
            sender = Sender(bot, store.uow, SystemClock(), config, worker_id=args.worker_id)
            sender.start()
            print("ready", flush=True)
            await stopping.wait()
            started = time.monotonic()
            await sender.stop(grace_seconds=args.grace)
            print(f"stopped in {time.monotonic() - started:.2f} s", flush=True)
    finally:
        await store.dispose()


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(run(parse(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
