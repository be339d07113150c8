"""Files on two nodes sharing PostgreSQL and Redis: a file the customer sends through one
node reaches the agent on the other with its message and is read there, and the agent's
file comes back the same way (the bytes are in the shared database, not a node's disk)."""

from __future__ import annotations

from attachment_kit import PDF, png
from conftest import Customer
from handoff_kit import AgentClient, make_agent
from helpline.store.postgres import PostgresStore
from test_attachments_api import bearer, customer_upload, escalated, token_of, upload
from two_nodes import Node


async def test_a_file_sent_through_one_node_is_read_on_the_other_and_answered_with_one(
    make_node: Node, shared_store: PostgresStore
) -> None:
    near, far = await make_node(), await make_node()
    _, token = await make_agent(shared_store, "Ann")  # type: ignore[arg-type]
    agent = await AgentClient.join(far, token)
    customer: Customer = await escalated(near)
    cid = customer.ready["conversation"]
    await agent.next_of("conversation.offered")
    await agent.accept(cid)
    _, body = await customer_upload(near, customer, png())

    await customer.say("m2", "", attachment=body["attachment"]["id"])
    seen = await agent.next_of("message.new", sender="customer", conversation=cid)
    read_far = await far.get(f"/api/attachments/{seen['attachment']['id']}", headers=bearer(token))
    _, answer = await upload(
        far, f"/api/conversations/{cid}/attachments", bearer(token), PDF, "application/pdf",
        "refund.pdf",
    )  # fmt: skip
    await agent.send({"type": "message.new", "conversation": cid, "id": "a1", "text": "",
                      "attachment": answer["attachment"]["id"]})  # fmt: skip
    shown = await customer.next_of("message.new", sender="agent")
    read_near = await near.get(
        f"/customer/attachments/{shown['attachment']['id']}", headers=token_of(customer)
    )

    assert seen["attachment"] == body["attachment"]
    assert await read_far.read() == png()
    assert shown["attachment"] == answer["attachment"]
    assert await read_near.read() == PDF
