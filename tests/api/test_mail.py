"""E-mail through the outbox to a real SMTP server (aiosmtpd): who gets what, in which
language, nothing for a rolled-back change, and nothing lost while the server is down."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta
from typing import Any

import pytest

from app.models import OutboxMail, User
from app.models.enums import Language, MailKind, Role, TicketType
from app.services import handling, mail, messages, routing, tickets
from app.services.mail import MailSender
from app.services.routing import set_route
from app.services.users import update_preferences
from tests.api.test_improvements import mutate, propose, validate
from tests.conftest import Desk, GraphQLClient, MakePerson, Person, make_ticket
from tests.mailbox import Mailbox

QUIET = 1.5  # seconds in which a message that should not come would have come


def token() -> str:
    return uuid.uuid4().hex[:10]


def body_of(message: Any) -> str:
    return str(message.get_body().get_content())


def recipients(found: list[Any]) -> list[str]:
    return sorted(str(m["To"]) for m in found)


async def submitted(person: Person, subject: str, **fields: Any) -> Any:
    return await make_ticket(person, f"{subject} does not work", **fields)


async def test_an_opened_ticket_is_announced_to_its_team(
    desk: Desk, mailbox: Mailbox, make_person: MakePerson
) -> None:
    teammate = await make_person(Role.HANDLER, ["Support"])
    await update_preferences(actor=await teammate.actor(), language=Language.EN)
    quiet = await make_person(Role.HANDLER, ["Support"])
    await update_preferences(actor=await quiet.actor(), mails_off=[MailKind.TICKET_OPENED])
    about = token()
    ticket = await submitted(desk.alice, about, description="Booking BK-4521 is missing")
    found = await mailbox.wait_for(about, 2)
    await asyncio.sleep(QUIET)
    found = mailbox.about(about)
    assert recipients(found) == sorted([desk.support.user.email, teammate.user.email])
    by = {str(m["To"]): m for m in found}
    french = by[desk.support.user.email]
    assert str(french["Subject"]) == f"[#{ticket.number}] Nouveau ticket P2 : {about} does not work"
    assert "Booking BK-4521 is missing" in body_of(french)
    english = by[teammate.user.email]
    assert str(english["Subject"]) == f"[#{ticket.number}] New P2 ticket: {about} does not work"


async def test_a_public_reply_reaches_the_requester_and_a_note_does_not(
    desk: Desk, mailbox: Mailbox
) -> None:
    about = token()
    ticket = await submitted(desk.alice, about)
    support, alice = await desk.support.actor(), await desk.alice.actor()
    await messages.post_message(
        actor=support, ticket_id=ticket.id, body=f"Note {about}", internal=True
    )
    await messages.post_message(actor=alice, ticket_id=ticket.id, body=f"Mine {about}")
    await messages.post_message(actor=support, ticket_id=ticket.id, body=f"Answer {about}")
    await handling.close_ticket(actor=support, ticket_id=ticket.id, resolution=f"Fixed {about}")
    await mailbox.wait_for(f"Fixed {about}", 1)
    await asyncio.sleep(QUIET)
    to_alice = [m for m in mailbox.about(about) if str(m["To"]) == desk.alice.user.email]
    bodies = [body_of(m) for m in to_alice]
    assert len(bodies) == 2, bodies
    assert any(f"Answer {about}" in b for b in bodies)
    assert any(f"Fixed {about}" in b for b in bodies)
    everything = " ".join(body_of(m) for m in mailbox.about(about))
    assert f"Note {about}" not in everything
    assert f"Mine {about}" not in everything


async def test_a_release_reaches_the_teams_and_the_requesters_it_concerns(
    gql: GraphQLClient, desk: Desk, mailbox: Mailbox
) -> None:

    about = token()
    await set_route(ticket_type=TicketType.INCIDENT, team_name="Partner")
    hosting = await make_ticket(desk.bob, f"Hosting {about} is slow", type=TicketType.INCIDENT)
    await set_route(ticket_type=TicketType.INCIDENT, team_name="Support")
    feature = await make_ticket(
        desk.alice, f"Export {about} please", type=TicketType.FEATURE_REQUEST
    )
    csv = (await propose(gql, desk.product, feature, f"CSV export {about}"))["improvement"]
    fix = (await propose(gql, desk.partner, hosting, f"Faster hosting {about}", "FIX"))[
        "improvement"
    ]
    version = f"1.0.0-{about}"
    release = (await mutate(gql, desk.admin, "createRelease", "release { id }", version=version))[
        "release"
    ]
    for item in (csv, fix):
        await validate(gql, desk.admin, item["id"], "P2")
        await mutate(
            gql,
            desk.admin,
            "planImprovement",
            "improvement { id }",
            improvementId=item["id"],
            releaseId=release["id"],
        )
    await mutate(gql, desk.admin, "publishRelease", "release { id }", id=release["id"])
    await mailbox.wait_for(version, 5)
    await asyncio.sleep(QUIET)
    found = {str(m["To"]): body_of(m) for m in mailbox.about(version)}
    # Internal teams get the notes; the partner only its own item; each requester theirs.
    assert sorted(found) == sorted(
        [
            desk.support.user.email,
            desk.product.user.email,
            desk.partner.user.email,
            desk.alice.user.email,
            desk.bob.user.email,
        ]
    )
    assert f"CSV export {about}" in found[desk.support.user.email]
    assert f"Faster hosting {about}" in found[desk.support.user.email]
    assert f"Faster hosting {about}" in found[desk.partner.user.email]
    assert f"CSV export {about}" not in found[desk.partner.user.email]
    assert f"#{feature.number}" in found[desk.alice.user.email]
    assert f"#{hosting.number}" not in found[desk.alice.user.email]


async def test_a_rolled_back_submission_sends_nothing(
    desk: Desk, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    about = token()
    alice = await desk.alice.actor()
    draft = await make_ticket(desk.alice, f"{about} does not work", submit=False)

    async def broken(ticket_type: TicketType) -> int | None:
        raise RuntimeError("routing table unreachable")

    with monkeypatch.context() as patch:
        patch.setattr(routing, "team_for", broken)
        with pytest.raises(RuntimeError):
            await tickets.submit_ticket(actor=alice, ticket_id=draft.id)
    assert await OutboxMail.filter(subject__contains=about).count() == 0
    await asyncio.sleep(QUIET)
    assert mailbox.about(about) == []


async def test_an_smtp_outage_delays_mail_and_loses_none(desk: Desk, mailbox: Mailbox) -> None:
    mailbox.stop()
    try:
        tokens = [token() for _ in range(3)]
        for about in tokens:
            await submitted(desk.alice, about)
        # The sender tries, fails, and keeps every message for later.
        for _ in range(200):
            tried = await OutboxMail.filter(attempts__gte=1, last_error__isnull=False).count()
            if tried >= 3:
                break
            await asyncio.sleep(0.05)
        assert await OutboxMail.filter(sent_at__isnull=True).count() == 3
    finally:
        mailbox.start()
    for about in tokens:
        await mailbox.wait_for(about, 1, seconds=20)
    await asyncio.sleep(QUIET)
    for about in tokens:
        found = mailbox.about(about)
        assert recipients(found) == [desk.support.user.email], about  # once each
    assert await OutboxMail.filter(sent_at__isnull=True).count() == 0


async def test_without_smtp_mail_is_logged_not_sent(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    user = await User.get(id=desk.alice.id)
    sender = MailSender("", "desk@example.com", timedelta(seconds=1))
    about = token()
    await OutboxMail.create(
        kind=MailKind.REPLY,
        recipient=user.email,
        subject=f"Subject {about}",
        body="Body",
        created_at=tickets.utc_now(),
        next_attempt_at=tickets.utc_now(),
    )
    # The server's own sender would send it first: pause it meanwhile.
    running = mail._sender
    assert running is not None
    await running.stop()
    try:
        with caplog.at_level(logging.INFO, logger="app.services.mail"):
            assert await sender.send_due() == 1
    finally:
        running.start()
    assert any(about in r.getMessage() and user.email in r.getMessage() for r in caplog.records)
    assert await OutboxMail.filter(sent_at__isnull=True).count() == 0
