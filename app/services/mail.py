"""E-mail notifications through an outbox.

The use cases write each e-mail into the outbox table inside their own transaction: a
change that rolls back sends nothing. A sender task in every process claims due e-mails
(a conditional update, so that two processes never claim the same one), sends them over
SMTP and marks them sent; a failure is retried later, each wait twice the last, so an
SMTP server that is down delays e-mail but loses none. Delivery is at least once: a
process that dies between sending and marking may send that one again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

import aiosmtplib

from app.models import Membership, OutboxMail, Ticket, User
from app.models.enums import Language, MailKind, Role, TeamKind
from app.services.mail_texts import text_of

logger = logging.getLogger(__name__)

POLL = 1.0  # seconds between looks at the outbox
CLAIM = timedelta(minutes=5)  # a claimed e-mail is retried after this if never marked
RETRY_MAX = timedelta(hours=1)
BATCH = 50
OUTBOX_BATCH = 500  # rows per INSERT when queueing e-mails


def utc_now() -> datetime:
    return datetime.now(UTC)


# --- writing e-mails, inside the use cases' transactions ----------------------------------


class Recipient(NamedTuple):
    """What writing to a user needs."""

    id: int
    email: str
    language: str
    mails_off: list[str]
    is_active: bool

    @classmethod
    def of(cls, user: User) -> Recipient:
        return cls(user.id, user.email, user.language, user.mails_off or [], user.is_active)


async def _queue(kind: MailKind, users: Iterable[Recipient], texts: dict[str, str]) -> None:
    """One e-mail per user who wants this kind, in their language; texts fill the template."""
    now = utc_now()
    mails = []
    for user in users:
        if not user.is_active or kind.value in user.mails_off:
            continue
        subject, body = text_of(kind, Language(user.language), texts)
        mails.append(
            OutboxMail(
                kind=kind,
                recipient=user.email,
                subject=subject,
                body=body,
                created_at=now,
                next_attempt_at=now,
            )
        )
    # A team of a thousand handlers: a few statements, not a thousand round trips.
    await OutboxMail.bulk_create(mails, batch_size=OUTBOX_BATCH)


async def team_members(team_id: int) -> list[Recipient]:
    """The active handlers and admins of a team. A team may have thousands, and each of
    its tickets reads them all: rows, not models (a third of the time)."""
    rows = (
        await User.filter(
            memberships__team_id=team_id, is_active=True, role__in=[Role.HANDLER, Role.ADMIN]
        )
        .distinct()
        .values_list("id", "email", "language", "mails_off")
    )
    return [Recipient(id, email, language, off or [], True) for id, email, language, off in rows]


async def ticket_opened(ticket: Ticket, author: User) -> None:
    """A new ticket is announced to the members of its team."""
    team_id = ticket.team_id  # type: ignore[attr-defined]
    if team_id is None:
        return
    members = [m for m in await team_members(team_id) if m.id != author.id]
    await _queue(
        MailKind.TICKET_OPENED,
        members,
        {
            "number": str(ticket.number),
            "subject": ticket.subject,
            "priority": ticket.priority.value,
            "author": author.display_name,
            "description": ticket.description,
        },
    )


async def reply_posted(ticket: Ticket, body: str) -> None:
    """A public reply of the desk is sent to the requester."""
    requester = await User.get(id=ticket.author_id)  # type: ignore[attr-defined]
    await _queue(
        MailKind.REPLY,
        [Recipient.of(requester)],
        {"number": str(ticket.number), "subject": ticket.subject, "body": body},
    )


@dataclass(frozen=True)
class ShippedItem:
    title: str
    ticket_numbers: list[int]
    team_ids: set[int]


async def release_published(
    version: str, notes: str, items: list[ShippedItem], requesters: dict[int, list[int]]
) -> None:
    """The notes to the members of every internal team; to an external team's members, only
    the items of their team's tickets; to each requester of a linked ticket, that what they
    asked for shipped (requesters maps user ids to their ticket numbers)."""
    internal = set(
        await Membership.filter(team__kind=TeamKind.INTERNAL).values_list("user_id", flat=True)
    )
    external = await Membership.filter(team__kind=TeamKind.EXTERNAL).values_list(
        "user_id", "team_id"
    )
    partner_teams: dict[int, set[int]] = {}
    for user_id, team_id in external:
        if user_id not in internal:
            partner_teams.setdefault(user_id, set()).add(team_id)
    staff = await User.filter(id__in=internal | set(partner_teams), role__not=Role.REQUESTER)
    insiders = [Recipient.of(u) for u in staff if u.id in internal]
    await _queue(MailKind.RELEASE, insiders, {"version": version, "notes": notes})
    for user in staff:
        if user.id in internal:
            continue
        theirs = [i for i in items if i.team_ids & partner_teams[user.id]]
        if theirs:
            lines = "\n".join(f"- {i.title}" for i in theirs)
            await _queue(
                MailKind.RELEASE, [Recipient.of(user)], {"version": version, "notes": lines}
            )
    for user in await User.filter(id__in=list(requesters)):
        numbers = ", ".join(f"#{n}" for n in sorted(requesters[user.id]))
        await _queue(
            MailKind.SHIPPED, [Recipient.of(user)], {"version": version, "numbers": numbers}
        )


# --- sending ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpServer:
    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        use_tls = parts.scheme == "smtps"
        return cls(
            hostname=parts.hostname or "localhost",
            port=parts.port or (465 if use_tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=use_tls,
        )


class MailSender:
    """Sends the outbox: over SMTP, or into the log when no server is configured."""

    def __init__(self, smtp_url: str, mail_from: str, retry: timedelta) -> None:
        self.server = SmtpServer.from_url(smtp_url) if smtp_url else None
        self.mail_from = mail_from
        self.retry = retry
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.server is None:
            logger.warning("SMTP_URL is not set: e-mails are written to the log, not sent")
        self._task = asyncio.create_task(self._run(), name="mail-sender")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                while await self.send_due():
                    pass
            except Exception:  # the database may be restarting: look again later
                logger.exception("mail: could not read the outbox")
            await asyncio.sleep(POLL)

    async def send_due(self) -> int:
        """Claim and send the e-mails that are due; how many were claimed."""
        now = utc_now()
        due = (
            await OutboxMail.filter(sent_at__isnull=True, next_attempt_at__lte=now)
            .order_by("id")
            .limit(BATCH)
        )
        claimed = 0
        for mail in due:
            # Claim it: of several processes, only the one whose update matched sends it.
            won = await OutboxMail.filter(
                id=mail.id, sent_at__isnull=True, next_attempt_at=mail.next_attempt_at
            ).update(next_attempt_at=now + CLAIM, attempts=mail.attempts + 1)
            if not won:
                continue
            claimed += 1
            try:
                await self._deliver(mail)
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
                await self._failed(mail, mail.attempts + 1, error)
            else:
                await OutboxMail.filter(id=mail.id).update(sent_at=utc_now(), last_error=None)
        return claimed

    async def _deliver(self, mail: OutboxMail) -> None:
        if self.server is None:
            logger.info(
                "mail (not sent, no SMTP_URL) to %s: %s\n%s",
                mail.recipient,
                mail.subject,
                mail.body,
            )
            return
        message = EmailMessage()
        message["From"] = self.mail_from
        message["To"] = mail.recipient
        message["Subject"] = mail.subject
        message["Message-ID"] = f"<outbox-{mail.id}@support-desk>"
        message.set_content(mail.body)
        await aiosmtplib.send(
            message,
            hostname=self.server.hostname,
            port=self.server.port,
            username=self.server.username,
            password=self.server.password,
            use_tls=self.server.use_tls,
            timeout=30,
        )

    async def _failed(self, mail: OutboxMail, attempts: int, error: Exception) -> None:
        """Retried later, each wait twice the last up to an hour: never given up on."""
        wait = min(self.retry * 2 ** (attempts - 1), RETRY_MAX)
        logger.warning(
            "mail %s to %s failed (%s); retrying in %s", mail.id, mail.recipient, error, wait
        )
        await OutboxMail.filter(id=mail.id).update(
            next_attempt_at=utc_now() + wait, last_error=str(error)[:1000]
        )


_sender: MailSender | None = None


def start_mail(smtp_url: str, mail_from: str, retry: timedelta) -> MailSender:
    global _sender
    _sender = MailSender(smtp_url, mail_from, retry)
    _sender.start()
    return _sender


async def stop_mail() -> None:
    global _sender
    if _sender is not None:
        await _sender.stop()
        _sender = None
