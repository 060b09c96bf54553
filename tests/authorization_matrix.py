"""Who may do what: the expected outcome of every operation of the schema, for every kind
of viewer and, for operations on a ticket, every status of the ticket. Read it as tables;
tests/api/test_authorization_matrix.py plays every cell against the running service, and
fails when an operation of the schema has no table here.

Outcomes:
    ok       done, or seen
    null     the read answers null: hidden and missing look the same
    absent   not in the list, and not counted
    UNAUTH   a top-level UNAUTHENTICATED error (a websocket: closed with 4403)
    CODE     the userError (or top-level error) code: NOT_FOUND, FORBIDDEN, INVALID_STATE

The ticket is an incident of Alice's, routed to the internal team Support; for the
handler of the external team Partner, it is routed to Partner.
"""

from __future__ import annotations

STATUSES = ("DRAFT", "OPEN", "PENDING", "WAITING", "CLOSED")
VIEWERS = (
    "anonymous",  # no token
    "author",  # Alice, a requester
    "other_requester",  # Bob
    "team_internal",  # a handler of Support, the ticket's team
    "other_internal",  # a handler of Product
    "team_external",  # a handler of Partner, when the ticket is routed to Partner
    "other_external",  # a handler of Other Partner
    "admin",
    "deactivated",  # a handler of Support whose account was deactivated
)

# Who sees the ticket: its author always, its team and admins once it is submitted.
_SEEN = """
    anonymous        UNAUTH  UNAUTH  UNAUTH   UNAUTH   UNAUTH
    author           ok      ok      ok       ok       ok
    other_requester  {no}    {no}    {no}     {no}     {no}
    team_internal    {no}    ok      ok       ok       ok
    other_internal   {no}    {no}    {no}     {no}     {no}
    team_external    {no}    ok      ok       ok       ok
    other_external   {no}    {no}    {no}     {no}     {no}
    admin            {no}    ok      ok       ok       ok
    deactivated      UNAUTH  UNAUTH  UNAUTH   UNAUTH   UNAUTH
"""
_DRAFT_ONLY = """
    anonymous        UNAUTH     UNAUTH         UNAUTH         UNAUTH         UNAUTH
    author           ok         INVALID_STATE  INVALID_STATE  INVALID_STATE  INVALID_STATE
    other_requester  NOT_FOUND  NOT_FOUND      NOT_FOUND      NOT_FOUND      NOT_FOUND
    team_internal    NOT_FOUND  FORBIDDEN      FORBIDDEN      FORBIDDEN      FORBIDDEN
    other_internal   NOT_FOUND  NOT_FOUND      NOT_FOUND      NOT_FOUND      NOT_FOUND
    team_external    NOT_FOUND  FORBIDDEN      FORBIDDEN      FORBIDDEN      FORBIDDEN
    other_external   NOT_FOUND  NOT_FOUND      NOT_FOUND      NOT_FOUND      NOT_FOUND
    admin            NOT_FOUND  FORBIDDEN      FORBIDDEN      FORBIDDEN      FORBIDDEN
    deactivated      UNAUTH     UNAUTH         UNAUTH         UNAUTH         UNAUTH
"""


_AUTHOR_FORBIDDEN = "FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN"


def _handling(team: str, author: str) -> str:
    """The table of an action of the ticket's team (and admins): team gives their outcomes
    for OPEN, PENDING, WAITING and CLOSED (a draft they do not see), author the author's
    for all five statuses; whoever does not see the ticket gets NOT_FOUND."""
    rows = {
        "anonymous": ["UNAUTH"] * 5,
        "author": author.split(),
        "team_internal": ["NOT_FOUND", *team.split()],
        "team_external": ["NOT_FOUND", *team.split()],
        "admin": ["NOT_FOUND", *team.split()],
        "deactivated": ["UNAUTH"] * 5,
    }
    lines = [
        f"    {viewer:16} " + "  ".join(f"{o:13}" for o in rows.get(viewer, ["NOT_FOUND"] * 5))
        for viewer in VIEWERS
    ]
    return "\n".join(lines)


TICKET_OPERATIONS: dict[str, str] = {
    # Reads: the ticket, by every path.
    "ticket(id)": _SEEN.format(no="null"),
    "ticket(number)": _SEEN.format(no="null"),
    "node(Ticket)": _SEEN.format(no="null"),
    "node(TicketEvent)": _SEEN.format(no="null"),
    "tickets(search)": _SEEN.format(no="absent"),
    "ticketUpdated": _SEEN.format(no="NOT_FOUND"),
    # The author's draft.
    "updateDraft": _DRAFT_ONLY,
    "deleteDraft": _DRAFT_ONLY,
    "submitTicket": _DRAFT_ONLY,
    # Admins adjust open tickets.
    "adjustTicket": """
    anonymous        UNAUTH     UNAUTH         UNAUTH         UNAUTH         UNAUTH
    author           FORBIDDEN  FORBIDDEN      FORBIDDEN      FORBIDDEN      FORBIDDEN
    other_requester  NOT_FOUND  NOT_FOUND      NOT_FOUND      NOT_FOUND      NOT_FOUND
    team_internal    NOT_FOUND  FORBIDDEN      FORBIDDEN      FORBIDDEN      FORBIDDEN
    other_internal   NOT_FOUND  NOT_FOUND      NOT_FOUND      NOT_FOUND      NOT_FOUND
    team_external    NOT_FOUND  FORBIDDEN      FORBIDDEN      FORBIDDEN      FORBIDDEN
    other_external   NOT_FOUND  NOT_FOUND      NOT_FOUND      NOT_FOUND      NOT_FOUND
    admin            NOT_FOUND  ok             ok             ok             INVALID_STATE
    deactivated      UNAUTH     UNAUTH         UNAUTH         UNAUTH         UNAUTH
""",
    # The lifecycle, as domain.md draws it.
    #                       the team: OPEN PENDING WAITING CLOSED; the author: all five
    "takeTicket": _handling(
        team="ok INVALID_STATE INVALID_STATE INVALID_STATE", author=_AUTHOR_FORBIDDEN
    ),
    "assignTicket": _handling(team="ok ok ok INVALID_STATE", author=_AUTHOR_FORBIDDEN),
    "awaitTicket": _handling(
        team="INVALID_STATE ok INVALID_STATE INVALID_STATE", author=_AUTHOR_FORBIDDEN
    ),
    "resumeTicket": _handling(
        team="INVALID_STATE INVALID_STATE ok INVALID_STATE", author=_AUTHOR_FORBIDDEN
    ),
    "closeTicket": _handling(team="ok ok ok INVALID_STATE", author=_AUTHOR_FORBIDDEN),
    "reopenTicket": _handling(
        team="INVALID_STATE INVALID_STATE INVALID_STATE ok",
        author="INVALID_STATE INVALID_STATE INVALID_STATE INVALID_STATE ok",
    ),
    # The conversation: public messages by whoever sees the ticket, notes by its team.
    "postMessage": _handling(
        team="ok ok ok INVALID_STATE", author="INVALID_STATE ok ok ok INVALID_STATE"
    ),
    "postMessage(internal)": _handling(team="ok ok ok INVALID_STATE", author=_AUTHOR_FORBIDDEN),
    # The list of improvements: the ticket's team turns it into an item or a vote.
    "proposeImprovement": _handling(team="ok ok ok ok", author=_AUTHOR_FORBIDDEN),
    "linkTicketToImprovement": _handling(team="ok ok ok ok", author=_AUTHOR_FORBIDDEN),
}

# Operations on no ticket: one outcome per viewer.
_EVERYONE = dict.fromkeys(VIEWERS, "ok") | {"anonymous": "UNAUTH", "deactivated": "UNAUTH"}
_ADMINS = dict.fromkeys(VIEWERS, "FORBIDDEN") | {
    "admin": "ok",
    "anonymous": "UNAUTH",
    "deactivated": "UNAUTH",
}

OTHER_OPERATIONS: dict[str, dict[str, str]] = {
    "login": dict.fromkeys(VIEWERS, "ok"),  # with valid credentials, whoever sends them
    "me": dict.fromkeys(VIEWERS, "ok") | {"anonymous": "null", "deactivated": "null"},
    "teams": _EVERYONE,
    "calendars": _EVERYONE,
    "responseDelays": _EVERYONE,
    "improvements": _EVERYONE,
    "releases": _EVERYONE,
    "createDraft": _EVERYONE,
    "updatePreferences": _EVERYONE,
    "ticketOpened": _EVERYONE,
    "releasePublished": _EVERYONE,
    "routingRules": _ADMINS,
    "users": _ADMINS,
    "createTeam": _ADMINS,
    "updateTeam": _ADMINS,
    "addTeamMember": _ADMINS,
    "removeTeamMember": _ADMINS,
    "setRoutingRule": _ADMINS,
    "createCalendar": _ADMINS,
    "updateCalendar": _ADMINS,
    "setResponseDelay": _ADMINS,
    "createUser": _ADMINS,
    "updateUser": _ADMINS,
    # Validators (admins here) curate the list; admins publish.
    "mergeImprovements": _ADMINS,
    "validateImprovement": _ADMINS,
    "rejectImprovement": _ADMINS,
    "createRelease": _ADMINS,
    "planImprovement": _ADMINS,
    "publishRelease": _ADMINS,
}


def ticket_table(operation: str) -> dict[tuple[str, str], str]:
    """The cells of one operation's table: (viewer, status) -> outcome."""
    cells = {}
    rows = [line.split() for line in TICKET_OPERATIONS[operation].strip().splitlines()]
    assert [row[0] for row in rows] == list(VIEWERS), operation
    for viewer, *outcomes in rows:
        assert len(outcomes) == len(STATUSES), (operation, viewer)
        cells.update({(viewer, s): o for s, o in zip(STATUSES, outcomes, strict=True)})
    return cells
