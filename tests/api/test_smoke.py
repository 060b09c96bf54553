from tests.conftest import Desk, GraphQLClient, Server, subscribe

OPENED = "subscription { ticketOpened { cursor ticket { number subject team { name } } } }"


async def test_draft_submit_and_feed(gql: GraphQLClient, desk: Desk, server: Server) -> None:
    created = await gql.data(
        'mutation { createDraft(input: {subject: "Printer on floor 2 is jammed", type: INCIDENT})'
        " { ticket { id number status priority } userErrors { code } } }",
        token=desk.alice.token,
    )
    ticket = created["createDraft"]["ticket"]
    assert ticket["status"] == "DRAFT"
    async with subscribe(server, desk.support.token, OPENED) as sub:
        submitted = await gql.data(
            "mutation($id: ID!) { submitTicket(input: {id: $id}) { ticket { status team { name } } "
            "userErrors { code } } }",
            {"id": ticket["id"]},
            token=desk.alice.token,
        )
        assert submitted["submitTicket"]["ticket"]["team"]["name"] == "Support"
        message = await sub.next()
        assert message["payload"]["data"]["ticketOpened"]["ticket"]["number"] == ticket["number"]
