"""Headless Chromium (Debian's, never a downloaded one) driven by Playwright, and helpers to
use the dashboard as a person would: sign in, wait for the live feed, submit tickets through
the API beside the page."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from app.services import feed
from tests.conftest import PASSWORD, GraphQLClient, Person
from tests.servers import CREATE_DRAFT, SUBMIT

CHROMIUM = "/usr/bin/chromium"
# Playwright adds --headless, a fresh --user-data-dir and its own automation flags.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Generous: these waits are for the page to settle, never measurements.
expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not shutil.which(CHROMIUM):
        message = f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile in English on a laptop-sized screen."""
    made = await browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 800})
    yield made
    await made.close()


@pytest.fixture
async def page(context: BrowserContext) -> AsyncIterator[Page]:
    opened = await context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    assert errors == [], f"the page threw: {errors}"


@pytest.fixture(autouse=True)
async def settled() -> None:
    """Start once the subscriptions of earlier tests are gone, so that counts compare."""
    for _ in range(250):
        if feed.subscriber_count() == 0:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{feed.subscriber_count()} subscriptions of earlier tests remain")


async def listening(count: int = 1) -> None:
    """Wait until the in-process server serves count feed subscriptions: what is opened
    from then on reaches the page."""
    for _ in range(250):
        if feed.subscriber_count() >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the page's subscription did not start listening")


async def sign_in(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    """Open the dashboard and sign in with the keyboard alone."""
    await page.goto(f"{base_url}/dashboard/")
    await expect(page.get_by_label("E-mail")).to_be_focused()
    await page.keyboard.type(email)
    await page.keyboard.press("Tab")
    await page.keyboard.type(password)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def row(page: Page, number: int) -> Any:
    """The queue's row of ticket number."""
    return page.locator(f'table.queue tr[data-number="{number}"]')


async def open_ticket(gql: GraphQLClient, person: Person, subject: str, **fields: Any) -> int:
    """Create and submit a ticket through the API as person; its number."""
    values = {"subject": subject, "type": "INCIDENT", **fields}
    created = (await gql.data(CREATE_DRAFT, {"input": values}, token=person.token))["createDraft"]
    assert created["userErrors"] == [], created
    ticket_id = created["ticket"]["id"]
    submitted = await gql.data(SUBMIT, {"input": {"id": ticket_id}}, token=person.token)
    assert submitted["submitTicket"]["userErrors"] == [], submitted
    return int(submitted["submitTicket"]["ticket"]["number"])
