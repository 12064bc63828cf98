"""``sipas worker``: the queue's consumer and its periodic tasks."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from survey_app.services import queue, tasks


@click.command("worker")
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Tasks run at once (threads of this process).",
)
@with_appcontext
def worker(threads: int) -> None:
    """Run the task queue's worker: report packs, alerts and their deliveries, and the
    periodic tasks. Stop it with Ctrl-C (it finishes the tasks it runs) or SIGTERM."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    huey = queue.of(app).huey
    if huey.immediate:
        raise click.UsageError("SIPAS_QUEUE_IMMEDIATE is set: there is no queue to work on")
    tasks.recover_now()  # jobs left running by a worker that died
    where = str(app.config.get("QUEUE_URL") or "") or "sqlite (instance/queue.sqlite)"
    click.echo(f"sipas worker: {threads} thread(s), queue {where.split('@')[-1]}")
    consumer = huey.create_consumer(workers=threads, worker_type="thread", periodic=True)
    consumer.run()
