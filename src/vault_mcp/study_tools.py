"""The MCP study tools: analyze, compare and quiz (a local LLM, or the extractive engine).

Each docstring is what the agent reads to decide WHEN to call the tool, so it starts with that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from vault_core.study.models import AnalyzeResult, CompareResult, QuestionType, QuizResult
from vault_mcp.args import READ_ONLY, NoteArg, resolve
from vault_mcp.host import VaultHost

if TYPE_CHECKING:
    from vault_core.vault import Vault

Engine = Literal["auto", "llm", "extractive"]
EngineArg = Annotated[
    Engine | None,
    Field(
        description="'llm' (local Ollama), 'extractive' (no model, fast) or 'auto' (LLM when "
        "available); default: the vault's setting"
    ),
]


def register_study_tools(mcp: MCPServer, host: VaultHost) -> None:
    @mcp.tool(annotations=READ_ONLY)
    async def analyze(note: NoteArg, ctx: Context, engine: EngineArg = None) -> AnalyzeResult:
        """Study one note: summary, key points with line citations, key terms, open questions,
        suggested tags and link candidates.

        Call this when the user wants a note summarized or explained, or before editing it.
        """
        return await host.run(
            ctx.session, lambda vault: vault.analyze(resolve(vault, note), engine=engine)
        )

    @mcp.tool(annotations=READ_ONLY)
    async def compare(
        note_a: NoteArg,
        note_b: NoteArg,
        ctx: Context,
        question: Annotated[
            str | None, Field(max_length=2000, description="optional question to answer from both")
        ] = None,
        engine: EngineArg = None,
    ) -> CompareResult:
        """Compare two notes: where they agree, differ or contradict, what only one says; each
        point cites lines of both. Optionally answers a question from the two.

        Call this when the user asks how two notes, drafts or sources relate or conflict.
        """
        return await host.run(
            ctx.session,
            lambda vault: vault.compare(
                resolve(vault, note_a), resolve(vault, note_b), question=question, engine=engine
            ),
        )

    @mcp.tool(annotations=READ_ONLY)
    async def quiz(
        scope: Annotated[
            str,
            Field(
                min_length=1,
                max_length=500,
                description="a note, a 'folder/', a '#tag', or a topic to search for",
            ),
        ],
        ctx: Context,
        n: Annotated[int, Field(ge=1, le=50, description="number of questions")] = 5,
        types: Annotated[
            list[QuestionType] | None, Field(description="mcq, true_false, cloze; default all")
        ] = None,
        engine: EngineArg = None,
    ) -> QuizResult:
        """Make quiz questions (with answers and the cited source line) from notes.

        Call this when the user wants to be quizzed, to review or memorize what they wrote.
        """
        if not scope.strip():
            raise ToolError("empty scope: pass a note, a folder/, a #tag or a topic")

        def run(vault: Vault) -> QuizResult:
            if ("/" in scope or "\\" in scope) and not scope.startswith("#"):
                vault.relpath(scope)  # a folder scope may not leave the vault
            return vault.quiz(scope, n=n, types=types, engine=engine)

        return await host.run(ctx.session, run)
