"""The conversation of a ticket: the request, public messages and internal notes."""

from __future__ import annotations

from tortoise.queryset import QuerySet

from app.models import Message, Ticket
from app.models.enums import MessageKind, TicketEventKind, TicketStatus
from app.services import feed, handling, mail
from app.services.actors import Actor
from app.services.errors import DomainError, ErrorCode, fail, not_found
from app.services.pagination import Column, Page, Window, cursor_of, fetch_page
from app.services.tickets import changed_meanwhile, record_event, utc_now
from app.services.validation import clean_body
from app.services.visibility import get_visible_ticket, handles

MESSAGE_COLUMNS = (Column("id"),)


async def post_message(
    *, actor: Actor, ticket_id: int, body: str, internal: bool = False
) -> tuple[Message, Ticket]:
    """A public message (the author, the team, admins) or an internal note (team, admins).

    A handler's first public message stops the response clock; the author's message on
    a WAITING ticket resumes it."""
    text, problems = clean_body(body)
    async with feed.announcing() as news:
        ticket = await get_visible_ticket(actor, ticket_id=ticket_id)
        if ticket is None:
            raise not_found()
        handler = handles(actor, ticket.team_id)  # type: ignore[attr-defined]
        if internal and not handler:
            raise fail(ErrorCode.FORBIDDEN, "only the ticket's team may write internal notes")
        if ticket.status in (TicketStatus.DRAFT, TicketStatus.CLOSED):
            hint = "edit the draft instead" if ticket.status == TicketStatus.DRAFT else "reopen it"
            raise fail(
                ErrorCode.INVALID_STATE,
                f"ticket #{ticket.number} is {ticket.status.value}: {hint}",
                "id",
            )
        if problems:
            raise DomainError(*problems)
        now = utc_now()
        message = await Message.create(
            ticket_id=ticket.id,
            author_id=actor.id,
            kind=MessageKind.INTERNAL if internal else MessageKind.PUBLIC,
            body=text,
            created_at=now,
        )
        if internal:
            # A note changes nothing a requester sees: not even updatedAt or version.
            await record_event(ticket.id, actor, TicketEventKind.NOTE_ADDED, now)
            news.ticket_changed(ticket.id, internal=True)
            return message, ticket
        await record_event(ticket.id, actor, TicketEventKind.MESSAGE_POSTED, now)
        changes: dict[str, object] = {}
        is_author = ticket.author_id == actor.id  # type: ignore[attr-defined]
        if handler and not is_author and ticket.first_responded_at is None:
            changes["first_responded_at"] = now
        if is_author and ticket.status == TicketStatus.WAITING:
            changes.update(await handling.resume_changes(actor, ticket, now))
        updated = await Ticket.filter(id=ticket.id, version=ticket.version).update(
            **changes, updated_at=now, version=ticket.version + 1
        )
        if not updated:
            raise changed_meanwhile(ticket)
        news.ticket_changed(ticket.id)
        if not is_author:
            await mail.reply_posted(ticket, text)
    return message, await Ticket.get(id=ticket.id)


def _visible_messages(actor: Actor, ticket_id: int, team_id: int | None) -> QuerySet[Message]:
    query = Message.filter(ticket_id=ticket_id)
    return query if handles(actor, team_id) else query.exclude(kind=MessageKind.INTERNAL)


async def list_messages(
    *, actor: Actor, ticket_id: int, team_id: int | None, window: Window
) -> Page[Message]:
    """The messages of a ticket the actor already may see, oldest first; internal notes
    only to those who handle the ticket's team."""
    return await fetch_page(
        _visible_messages(actor, ticket_id, team_id),
        tag="m",
        columns=MESSAGE_COLUMNS,
        descending=False,
        window=window,
    )


async def count_messages(*, actor: Actor, ticket_id: int, team_id: int | None) -> int:
    return await _visible_messages(actor, ticket_id, team_id).count()


def message_cursor(message: Message) -> str:
    return cursor_of(message, tag="m", columns=MESSAGE_COLUMNS)


async def get_message(*, actor: Actor, message_id: int) -> Message | None:
    """One message, if the actor may see its ticket and that message."""
    message = await Message.get_or_none(id=message_id)
    if message is None:
        return None
    ticket = await get_visible_ticket(actor, ticket_id=message.ticket_id)  # type: ignore[attr-defined]
    if ticket is None:
        return None
    visible = _visible_messages(actor, ticket.id, ticket.team_id)  # type: ignore[attr-defined]
    return await visible.filter(id=message_id).first()
