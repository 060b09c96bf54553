"""The handler's queue in a browser: sign-in, order, deadlines, live arrivals, visibility."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.async_api import Browser, Page, expect

from app.models import Ticket
from app.models.enums import Priority, TicketType
from app.services import handling
from app.services.routing import set_route
from tests.conftest import PASSWORD, Desk, GraphQLClient, Server, make_ticket
from tests.e2e.conftest import listening, open_ticket, row, sign_in


async def test_a_handler_signs_in_and_sees_the_queue_most_urgent_first(
    page: Page, server: Server, desk: Desk
) -> None:
    low = await make_ticket(desk.alice, "Printer icon looks blurry", priority=Priority.P4)
    urgent = await make_ticket(desk.alice, "Payments fail for every card", priority=Priority.P1)
    late = await make_ticket(desk.bob, "Invoice shows the wrong VAT rate", priority=Priority.P2)
    taken = await make_ticket(desk.bob, "Booking 4521 missing", priority=Priority.P2)
    await Ticket.filter(id=late.id).update(response_due_at=datetime.now(UTC) - timedelta(hours=2))
    await Ticket.filter(id=taken.id).update(response_due_at=datetime.now(UTC) + timedelta(hours=3))
    await Ticket.filter(id=taken.id).update(assignee_id=desk.support.id, status="PENDING")
    closed = await make_ticket(desk.alice, "Already solved", priority=Priority.P1)
    await Ticket.filter(id=closed.id).update(status="CLOSED")
    draft = await make_ticket(desk.alice, "Not submitted", submit=False)

    await sign_in(page, server.url, desk.support.user.email)

    await expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    rows = page.locator("table.queue tbody tr")
    # P1, then the P2 due first (overdue), then the other P2, then P4; closed and drafts not.
    await expect(rows).to_have_count(4)
    numbers = [int(n) for n in await rows.evaluate_all("rs => rs.map(r => r.dataset.number)")]
    assert numbers == [urgent.number, late.number, taken.number, low.number]
    assert closed.number not in numbers
    assert draft.number not in numbers
    await expect(page.get_by_text("4 open tickets")).to_be_visible()

    await expect(row(page, urgent.number)).to_contain_text("Payments fail for every card")
    await expect(row(page, urgent.number)).to_contain_text("Incident")
    await expect(row(page, urgent.number)).to_contain_text("P1 critical")
    await expect(row(page, urgent.number)).to_contain_text("Support")
    await expect(row(page, urgent.number)).to_contain_text("Unassigned")
    await expect(row(page, urgent.number).locator(".due-on-track")).to_contain_text("left")
    await expect(row(page, late.number).locator(".due-overdue")).to_contain_text("Overdue by 2 hr")
    await expect(row(page, taken.number)).to_contain_text(desk.support.user.display_name)
    await expect(row(page, taken.number)).to_contain_text("In progress")

    # The subject is a link: the keyboard reaches it and opens the ticket.
    link = row(page, urgent.number).get_by_role("link")
    await link.focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Payments fail for every card")).to_be_visible()
    await expect(page).to_have_url(f"{server.url}/dashboard/#/ticket/{urgent.number}")


async def test_the_queue_pages_with_the_cursor(page: Page, server: Server, desk: Desk) -> None:
    made = [await make_ticket(desk.alice, f"Ticket number {i} of thirty") for i in range(30)]
    await sign_in(page, server.url, desk.support.user.email)
    rows = page.locator("table.queue tbody tr")
    await expect(rows).to_have_count(25)
    await page.get_by_role("button", name="Show more").click()
    await expect(rows).to_have_count(30)
    await expect(page.get_by_role("button", name="Show more")).to_be_hidden()
    shown = {int(n) for n in await rows.evaluate_all("rs => rs.map(r => r.dataset.number)")}
    assert shown == {ticket.number for ticket in made}


async def test_a_ticket_submitted_through_the_api_appears_without_reload(
    page: Page, server: Server, desk: Desk, gql: GraphQLClient
) -> None:
    first = await make_ticket(desk.alice, "Already in the queue", priority=Priority.P3)
    await sign_in(page, server.url, desk.support.user.email)
    await expect(row(page, first.number)).to_be_visible()
    await listening()
    await page.evaluate("window.sameDocument = true")

    number = await open_ticket(gql, desk.bob, "Checkout button does nothing", priority="P1")

    arrived = row(page, number)
    await expect(arrived).to_be_visible()
    await expect(arrived).to_have_class("row is-new")
    await expect(arrived).to_contain_text("New")
    await expect(page.locator(".announcer")).to_have_text(
        f"New: #{number} Checkout button does nothing (P1 critical)"
    )
    await expect(page.locator("table.queue tbody tr").first).to_have_attribute(
        "data-number", str(number)
    )  # P1 goes before the P3
    await expect(page.get_by_text("2 open tickets")).to_be_visible()
    assert await page.evaluate("window.sameDocument") is True  # no reload happened
    await expect(arrived).to_have_count(1)


async def test_the_queue_shows_within_half_a_minute_what_others_changed(
    page: Page, server: Server, desk: Desk
) -> None:
    """Rows taken or closed by someone else are read again, pages kept."""
    tickets = [await make_ticket(desk.alice, f"Export fails, case {n}") for n in range(30)]
    first, last = tickets[0], tickets[-1]
    await page.clock.install()  # the page's half-minute timer, run on demand
    await sign_in(page, server.url, desk.support.user.email)
    await expect(row(page, first.number)).to_contain_text("Unassigned")
    await page.get_by_role("button", name="Show more").click()
    await expect(row(page, last.number)).to_be_visible()

    admin = await desk.admin.actor()
    await handling.take_ticket(actor=admin, ticket_id=first.id)
    await handling.close_ticket(actor=admin, ticket_id=last.id, resolution="Fixed in 2.4.1")
    await page.clock.fast_forward(31_000)

    await expect(row(page, first.number)).to_contain_text(desk.admin.user.display_name)
    await expect(row(page, last.number)).to_have_count(0)
    # The second page is still shown: 29 open tickets, every one of them.
    await expect(page.locator("table.queue tbody tr")).to_have_count(29)


async def test_an_external_handler_sees_only_their_teams_tickets(
    page: Page, server: Server, desk: Desk, gql: GraphQLClient
) -> None:
    await set_route(ticket_type=TicketType.QUESTION, team_name="Partner")
    theirs = await make_ticket(desk.alice, "How do I cancel a booking?", type=TicketType.QUESTION)
    internal = await make_ticket(desk.alice, "Server error on login")
    product = await make_ticket(desk.bob, "Weekly bookings", type=TicketType.FEATURE_REQUEST)

    await sign_in(page, server.url, desk.partner.user.email)
    rows = page.locator("table.queue tbody tr")
    await expect(rows).to_have_count(1)
    await expect(row(page, theirs.number)).to_contain_text("Partner")
    await listening()

    # Live too: of an incident then a question, only the question arrives (in that order,
    # so once the question is shown the incident would have been).
    hidden = await open_ticket(gql, desk.bob, "Another server error")
    shown = await open_ticket(gql, desk.bob, "Can I pay by transfer?", type="QUESTION")
    await expect(row(page, shown)).to_be_visible()
    await expect(rows).to_have_count(2)
    for number in (internal.number, product.number, hidden):
        await expect(row(page, number)).to_have_count(0)

    # Nor can the page open another team's ticket.
    await page.goto(f"{server.url}/dashboard/#/ticket/{internal.number}")
    await expect(page.get_by_role("alert")).to_contain_text("does not exist or you may not see it")


async def test_the_page_speaks_french_to_a_french_browser(
    browser: Browser, server: Server, desk: Desk
) -> None:
    context = await browser.new_context(locale="fr-FR")
    try:
        page = await context.new_page()
        await make_ticket(desk.alice, "Paiement refusé", priority=Priority.P2)
        await page.goto(f"{server.url}/dashboard/")
        await page.get_by_label("E-mail").fill(desk.support.user.email)
        await page.get_by_label("Mot de passe").fill(PASSWORD)
        await page.get_by_role("button", name="Se connecter").click()
        await expect(page.get_by_role("heading", name="File d'attente")).to_be_visible()
        await expect(page.locator("table.queue")).to_contain_text("P2 haute")
        await expect(page.locator("html")).to_have_attribute("lang", "fr")
    finally:
        await context.close()


async def test_sign_in_refusals_are_plain_and_the_token_lives_in_the_tab_only(
    page: Page, server: Server, desk: Desk
) -> None:
    await page.goto(f"{server.url}/dashboard/")
    await page.get_by_label("E-mail").fill(desk.support.user.email)
    await page.get_by_label("Password").fill("not the password")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_contain_text("Invalid e-mail or password")

    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    assert await page.evaluate("localStorage.length") == 0
    assert await page.evaluate("document.cookie") == ""
    token = await page.evaluate("sessionStorage.getItem('support-desk.token')")
    assert token

    await page.reload()  # the same tab keeps its session
    await expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_label("E-mail")).to_be_visible()
    assert await page.evaluate("sessionStorage.getItem('support-desk.token')") is None
