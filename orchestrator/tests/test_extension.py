"""The extension point the README documents: a new tool and a new keyword agent."""

import pytest
from pydantic import Field

from orchestrator import agents
from orchestrator.agents import Agent, register_agent
from orchestrator.services.turns import ai_reply_process
from orchestrator.tests.helpers import send_to_bot
from orchestrator.tools import Tool, ToolArgs, ToolContext, base


class RoomArgs(ToolArgs):
    room: str = Field(description="Room number, e.g. 'B12'")


def _room_booking(context: ToolContext, args: RoomArgs) -> str:
    return f"{args.room}: booked by user {context.user.pk}"


@pytest.fixture
def rooms_agent(monkeypatch):
    monkeypatch.setattr(base, "_TOOLS", dict(base._TOOLS))
    monkeypatch.setattr(agents, "_AGENTS", dict(agents._AGENTS))
    base.register_tool(
        Tool(name="get_room_booking", description="Show a room's booking.", args_model=RoomArgs, func=_room_booking)
    )
    return register_agent(
        Agent(
            name="rooms_agent",
            description="Room bookings",
            system_prompt="You help with room bookings.",
            tool_names=("get_room_booking",),
            keywords=("booking",),
            sticky=True,
        )
    )


@pytest.mark.django_db
def test_a_new_agent_is_routed_by_its_keywords_and_its_tool_gets_the_user_from_context(user, fake_llm, rooms_agent):
    fake_llm.tool_call("get_room_booking", {"room": "B12", "user_id": 999})
    fake_llm.reply("B12 is yours.")

    reply = ai_reply_process(message_id=send_to_bot(user, "Is my BOOKING for B12 ok?").pk)

    assert (reply.agent, reply.content) == ("rooms_agent", "B12 is yours.")
    first = fake_llm.requests[0]
    assert first["messages"][0]["content"] == "You help with room bookings."
    assert first["tools"][0]["function"]["parameters"]["required"] == ["room"]
    assert fake_llm.requests[-1]["messages"][-1]["content"] == f"B12: booked by user {user.pk}"
