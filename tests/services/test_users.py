"""Who sees whom: the people a ticket names, known without a query, are exactly those the
visibility query shows."""

from __future__ import annotations

from app.models import Ticket, User
from app.models.enums import Role
from app.services import handling
from app.services.users import people_of_tickets, visible_user_ids
from app.services.visibility import visible_tickets
from tests.conftest import Desk, MakePerson, make_ticket


async def test_people_of_tickets_agrees_with_the_visibility_query(
    desk: Desk, make_person: MakePerson
) -> None:
    colleague = await make_person(Role.HANDLER, ["Support"])
    for author in (desk.alice, desk.bob, desk.support, desk.product):
        await make_ticket(author, f"A ticket of {author.user.display_name}")
        taken = await make_ticket(author, f"A taken ticket of {author.user.display_name}")
        await handling.take_ticket(actor=await colleague.actor(), ticket_id=taken.id)
    await make_ticket(desk.alice, "Alice's draft", submit=False)
    everyone = {u.id for u in await User.all()}
    for person in (desk.admin, desk.support, desk.product, desk.alice, colleague):
        actor = await person.actor()
        seen: list[Ticket] = await visible_tickets(actor)
        assert seen, person.user.email
        named = {t.author_id for t in seen} | {t.assignee_id for t in seen if t.assignee_id}
        assert named <= everyone
        assert len(named) > 1
        assert people_of_tickets(actor, seen) == await visible_user_ids(actor, named), (
            person.user.email
        )
