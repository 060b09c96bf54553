"""Resuming the feed with `after`: every missed ticket once, then live."""

import asyncio
import json

from app.models.enums import TicketType
from app.services import tickets
from app.services.pagination import encode_cursor
from tests.conftest import Desk, Server, make_ticket, open_socket, subscribe

OPENED = """
subscription Opened($after: String) {
  ticketOpened(after: $after) { cursor ticket { number } }
}
"""


def number_of(message: dict) -> int:
    return message["payload"]["data"]["ticketOpened"]["ticket"]["number"]


async def test_resume_replays_what_was_missed_then_goes_live(server: Server, desk: Desk) -> None:
    async with subscribe(server, desk.support.token, OPENED) as sub:
        first = await make_ticket(desk.alice, "First incident of the morning")
        message = await sub.next()
        assert number_of(message) == first.number
        cursor = message["payload"]["data"]["ticketOpened"]["cursor"]
    missed = [await make_ticket(desk.bob, f"Incident while offline {i}") for i in range(3)]
    async with subscribe(server, desk.support.token, OPENED, {"after": cursor}) as sub:
        replayed = [number_of(await sub.next()) for _ in missed]
        assert replayed == [t.number for t in missed]
        live = await make_ticket(desk.alice, "Incident after reconnecting")
        assert number_of(await sub.next()) == live.number
        assert await sub.nothing_within(0.3)


async def test_resume_replays_a_ticket_re_routed_to_ones_team_meanwhile_once(
    server: Server, desk: Desk
) -> None:
    async with subscribe(server, desk.product.token, OPENED) as sub:
        feature = await make_ticket(desk.alice, "Export to CSV", type=TicketType.FEATURE_REQUEST)
        message = await sub.next()
        assert number_of(message) == feature.number
        cursor = message["payload"]["data"]["ticketOpened"]["cursor"]
    incident = await make_ticket(desk.bob, "Really a feature: dark mode")
    await tickets.adjust_ticket(
        actor=await desk.admin.actor(),
        ticket_id=incident.id,
        changes={"type": TicketType.FEATURE_REQUEST},
    )
    async with subscribe(server, desk.product.token, OPENED, {"after": cursor}) as sub:
        assert number_of(await sub.next()) == incident.number
        assert await sub.nothing_within(0.3)


async def test_resume_from_a_cursor_ahead_of_the_feed_is_a_clear_error(
    server: Server, desk: Desk
) -> None:
    ahead = encode_cursor("feed", [10_000])
    auth = {"Authorization": f"Bearer {desk.support.token}"}
    async with open_socket(server, auth) as ws:
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        payload = {"query": OPENED, "variables": {"after": ahead}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        message = json.loads(await asyncio.wait_for(ws.recv(), 5))
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["message"] == "after is not a cursor of this feed"
