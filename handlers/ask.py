"""(being written) — router entry: try_handle(services, msg) -> list[Reply] | None."""

from __future__ import annotations

from handlers.messages import IncomingMessage, Reply
from handlers.services import Services


def try_handle(services: Services, msg: IncomingMessage) -> list[Reply] | None:
    return None
