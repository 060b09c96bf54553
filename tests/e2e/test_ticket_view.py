"""One ticket in a browser: what it says, its actions with their refusals, live updates."""

from __future__ import annotations

from playwright.async_api import Page, expect

from app.models import Message, Ticket
from app.models.enums import Priority, TicketStatus
from app.schema.ids import to_global_id
from tests.conftest import Desk, GraphQLClient, Server, make_ticket
from tests.e2e.conftest import listening, sign_in


def ticket_id(ticket: Ticket) -> str:
    return to_global_id("Ticket", ticket.id)


TAKE = """
mutation Take($input: TakeTicketInput!) { takeTicket(input: $input) { userErrors { code } } }
"""


async def test_a_handler_works_a_ticket_from_the_page(
    page: Page, server: Server, desk: Desk
) -> None:
    ticket = await make_ticket(
        desk.alice,
        "Booking 4521 missing after payment",
        description="Paid at 10:02.\nThe booking is not listed.",
        reference="BK-4521",
    )
    await sign_in(page, server.url, desk.support.user.email)
    await page.get_by_role("link", name="Booking 4521 missing after payment").click()

    await expect(page.get_by_role("heading", name="Booking 4521 missing")).to_be_visible()
    await expect(page.locator(".details")).to_contain_text("BK-4521")
    await expect(page.locator(".ticket-main")).to_contain_text("The booking is not listed.")
    await expect(page.locator(".history")).to_contain_text("Submitted")

    await page.get_by_role("button", name="Take").click()
    await expect(page.locator(".ticket-head")).to_contain_text("In progress")
    await expect(page.locator(".details")).to_contain_text("You")

    reply = page.get_by_role("textbox", name="Reply")
    await reply.fill("Could you send the invoice?")
    await page.get_by_role("button", name="Send answer").click()
    await expect(page.locator(".message-public")).to_contain_text("Could you send the invoice?")
    await expect(reply).to_have_value("")
    await reply.fill("Checked the payment logs: paid.")
    await page.get_by_role("button", name="Add internal note").click()
    await expect(page.locator(".message-internal")).to_contain_text("Checked the payment logs")

    await page.get_by_label("Waiting for").fill("The invoice")
    await page.get_by_role("button", name="Wait").click()
    await expect(page.locator(".ticket-head")).to_contain_text("Waiting")
    await page.get_by_role("button", name="Resume").click()
    await expect(page.locator(".ticket-head")).to_contain_text("In progress")

    # A refusal is said in plain words beside the action, and nothing changes.
    await page.get_by_role("button", name="Close ticket").click()
    refusal = page.locator(".action-close .form-errors")
    await expect(refusal).to_be_visible()
    await expect(refusal).to_contain_text("Please check what you entered.")
    assert (await Ticket.get(id=ticket.id)).status is TicketStatus.PENDING

    await page.get_by_label("Resolution").fill("Booking restored.")
    await page.get_by_role("button", name="Close ticket").click()
    await expect(page.locator(".ticket-head")).to_contain_text("Closed")
    await expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    await expect(page.get_by_role("button", name="Take")).to_be_hidden()

    stored = await Ticket.get(id=ticket.id)
    assert stored.status is TicketStatus.CLOSED
    assert stored.assignee_id == desk.support.id
    bodies = await Message.filter(ticket_id=ticket.id).order_by("id").values_list("body", "kind")
    assert [body for body, _ in bodies][1:] == [
        "Could you send the invoice?",
        "Checked the payment logs: paid.",
        "Booking restored.",
    ]


async def test_the_ticket_view_follows_changes_made_elsewhere(
    page: Page, server: Server, desk: Desk, gql: GraphQLClient
) -> None:
    ticket = await make_ticket(desk.alice, "Export to CSV fails")
    await sign_in(page, server.url, desk.support.user.email)
    await listening()  # the queue's feed
    await page.goto(f"{server.url}/dashboard/#/ticket/{ticket.number}")
    await expect(page.get_by_role("button", name="Take")).to_be_visible()
    await listening(2)  # and the ticket's

    # An admin takes it through the API: the page shows it without being touched.
    taken = await gql.data(TAKE, {"input": {"id": ticket_id(ticket)}}, token=desk.admin.token)
    assert taken["takeTicket"]["userErrors"] == [], taken
    await expect(page.locator(".details")).to_contain_text(desk.admin.user.display_name)
    await expect(page.locator(".ticket-head")).to_contain_text("In progress")
    await expect(page.get_by_role("button", name="Take")).to_be_hidden()


async def test_an_admin_re_prioritises_and_the_refusals_are_plain(
    page: Page, server: Server, desk: Desk
) -> None:
    ticket = await make_ticket(desk.alice, "Slow search page", priority=Priority.P3)
    await sign_in(page, server.url, desk.admin.user.email)
    await page.goto(f"{server.url}/dashboard/#/ticket/{ticket.number}")
    await expect(page.get_by_role("heading", name="Slow search page")).to_be_visible()

    await page.get_by_label("Priority", exact=True).select_option("P1")
    await page.get_by_label("Reason").fill("Blocks the whole sales team")
    await page.get_by_role("button", name="Apply").click()
    await expect(page.locator(".ticket-head")).to_contain_text("P1 critical")
    await expect(page.locator(".history")).to_contain_text("Blocks the whole sales team")
    assert (await Ticket.get(id=ticket.id)).priority is Priority.P1


async def test_ticket_texts_are_shown_as_text_never_as_markup(
    page: Page, server: Server, desk: Desk
) -> None:
    markup = '<img src="x" onerror="window.injected = 1"><b>bold</b>'
    ticket = await make_ticket(desk.alice, f"Subject {markup}", description=f"Body {markup}")
    await sign_in(page, server.url, desk.support.user.email)
    await expect(page.locator("table.queue")).to_contain_text(f"Subject {markup}")
    await page.goto(f"{server.url}/dashboard/#/ticket/{ticket.number}")
    await expect(page.locator(".ticket-main")).to_contain_text(f"Body {markup}")
    await expect(page.locator("main img, main b")).to_have_count(0)
    assert await page.evaluate("window.injected") is None
