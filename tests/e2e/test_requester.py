"""The requester's side in a browser: own tickets and drafts; write, save, come back, submit."""

from __future__ import annotations

from playwright.async_api import Page, expect

from app.models import Ticket
from app.models.enums import Priority, TicketStatus, TicketType
from tests.conftest import Desk, Server, make_ticket
from tests.e2e.conftest import sign_in


async def test_a_requester_writes_saves_and_submits_a_draft(
    page: Page, server: Server, desk: Desk
) -> None:
    older = await make_ticket(desk.alice, "Older question", type=TicketType.QUESTION)
    await make_ticket(desk.bob, "Someone else's ticket")

    await sign_in(page, server.url, desk.alice.user.email)
    await expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    mine = page.locator(".mine-item")
    await expect(mine).to_have_count(1)
    await expect(mine.first).to_contain_text("Older question")

    # Write and save, without a type yet.
    await page.get_by_role("link", name="New ticket").first.click()
    await page.get_by_label("Subject").fill("Invoice INV-118 shows the wrong VAT rate")
    await page.get_by_label("Description").fill("6% instead of 21%.")
    await page.get_by_label("Reference").fill("INV-118")
    await page.get_by_role("button", name="Save draft").click()
    await expect(page.locator("main").get_by_role("status")).to_contain_text("Draft saved at")
    [draft] = await Ticket.filter(author_id=desk.alice.id, status=TicketStatus.DRAFT)
    assert (draft.subject, draft.reference, draft.type) == (
        "Invoice INV-118 shows the wrong VAT rate",
        "INV-118",
        None,
    )
    await expect(page).to_have_url(f"{server.url}/dashboard/#/draft/{draft.number}")

    # Come back to it from the list of one's tickets.
    await page.get_by_role("navigation").get_by_role("link", name="My tickets").click()
    await expect(mine).to_have_count(2)
    saved = page.locator(f'.mine-item[data-number="{draft.number}"]')
    await expect(saved).to_contain_text("Draft")
    await saved.get_by_role("link").click()
    await expect(page.get_by_label("Subject")).to_have_value(
        "Invoice INV-118 shows the wrong VAT rate"
    )
    await expect(page.get_by_label("Description")).to_have_value("6% instead of 21%.")

    # Submitting without a type is refused, in plain words, and it stays a draft.
    await page.get_by_role("button", name="Submit").click()
    await expect(page.locator(".draft")).to_contain_text("Please check what you entered.")
    assert (await Ticket.get(id=draft.id)).status is TicketStatus.DRAFT

    await page.get_by_label("Type").select_option("INCIDENT")
    await page.get_by_label("Priority").select_option("P2")
    await page.get_by_role("button", name="Submit").click()
    await expect(page.locator(".flash")).to_have_text(f"Ticket #{draft.number} submitted.")
    await expect(page.get_by_role("heading", name="Invoice INV-118")).to_be_visible()
    await expect(page.locator(".ticket-head")).to_contain_text("Open")

    submitted = await Ticket.get(id=draft.id)
    assert submitted.status is TicketStatus.OPEN
    assert (submitted.type, submitted.priority) == (TicketType.INCIDENT, Priority.P2)
    assert older.number != submitted.number

    # The requester may answer but has none of the desk's actions.
    await expect(page.get_by_role("button", name="Send answer")).to_be_visible()
    await expect(page.get_by_role("button", name="Add internal note")).to_be_hidden()
    await expect(page.get_by_role("button", name="Take")).to_be_hidden()
