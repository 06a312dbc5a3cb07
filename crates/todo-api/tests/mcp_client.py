"""Drives todo-app's MCP server with the official MCP Python SDK (`pip install mcp`),
a client this project did not write. Run by tests/mcp.rs with the interpreter
of the test venv (scripts/lib/python-venv.sh):

    python mcp_client.py URL TOKEN

Prints one JSON object per line, each with a "step" key:
  initialize, tools, add_task, list_tasks,
  complete_missing, statuses_with_token     with the bearer token (initialize handshake)
  discover                                  with the token, protocol 2026-07-28 (no handshake)
  no_token                                  the same connection without the token
"""

import json
import sys

import anyio
import httpx2
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client

TIMEOUT_SECS = 30


def emit(step, **fields):
    print(json.dumps({"step": step, **fields}, default=str), flush=True)


def describe(error):
    """The innermost error of (nested) exception groups, as "Type: message"."""
    while getattr(error, "exceptions", None):
        error = error.exceptions[0]
    return f"{type(error).__name__}: {error}"


def tool_result(result):
    """A CallToolResult as plain JSON: the error flag, text and structured content."""
    return {
        "is_error": bool(result.is_error),
        "text": [c.text for c in result.content if getattr(c, "type", None) == "text"],
        "structured": result.structured_content,
    }


def http_client(headers, statuses):
    """An HTTP client that records the status of every response it gets."""

    async def record(response):
        statuses.append(response.status_code)

    return httpx2.AsyncClient(headers=headers, timeout=TIMEOUT_SECS, event_hooks={"response": [record]})


async def with_token(url, token):
    statuses = []
    async with (
        http_client({"Authorization": f"Bearer {token}"}, statuses) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        init = await session.initialize()
        emit(
            "initialize",
            protocol_version=init.protocol_version,
            server=init.server_info.name,
            tools_capability=init.capabilities.tools is not None,
        )

        listed = await session.list_tools()
        emit(
            "tools",
            tools=[
                {"name": t.name, "description": t.description, "input_schema": t.input_schema} for t in listed.tools
            ],
        )

        added = await session.call_tool(
            "add_task", {"title": "Buy groceries", "description": "milk, eggs", "priority": "high"}
        )
        emit("add_task", **tool_result(added))

        tasks = await session.call_tool("list_tasks", {"status": "pending"})
        emit("list_tasks", **tool_result(tasks))

        missing = await session.call_tool("complete_task", {"task_id": 987654})
        emit("complete_missing", **tool_result(missing))
    emit("statuses_with_token", statuses=statuses)


async def with_discover(url, token):
    """The stateless lifecycle of protocol 2026-07-28 (server/discover, no handshake)."""
    statuses = []
    async with (
        http_client({"Authorization": f"Bearer {token}"}, statuses) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.discover()
        tasks = await session.call_tool("list_tasks", {})
        emit("discover", protocol_version=session.protocol_version, list_tasks=tool_result(tasks))


async def without_token(url):
    statuses = []
    try:
        async with (
            http_client({}, statuses) as http,
            streamable_http_client(url, http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            await session.list_tools()
        emit("no_token", refused=False, statuses=statuses)
    except Exception as e:  # noqa: BLE001 -- any failure to connect is the expected outcome
        emit("no_token", refused=True, error=describe(e), statuses=statuses)


async def main(url, token):
    with anyio.fail_after(TIMEOUT_SECS * 2):
        await with_token(url, token)
        await with_discover(url, token)
        await without_token(url)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: mcp_client.py URL TOKEN")
    anyio.run(main, sys.argv[1], sys.argv[2])
