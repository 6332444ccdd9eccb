"""The MCP study tools: analyze, compare and quiz (a local LLM, or the extractive engine).

Each docstring is what the agent reads to decide WHEN to call the tool, so it starts with that.
Their results quote and paraphrase note text (an LLM summary of an injected line repeats it), so
they carry the same marking as search: `source`, `data_note`, and quoted JSON in the text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult
from pydantic import Field

from vault_core.study.models import AnalyzeResult, CompareResult, QuestionType, QuizResult
from vault_mcp.args import READ_ONLY, NoteArg, candidates, lookup
from vault_mcp.host import VaultHost
from vault_mcp.models import AMBIGUOUS, DATA_NOTE, NameCandidate, Source
from vault_mcp.quoting import structured

if TYPE_CHECKING:
    from vault_core.vault import Vault

SCOPE_HELP = "a note, a 'folder/', a '#tag', or a topic to search for"
Engine = Literal["auto", "llm", "extractive"]
EngineArg = Annotated[
    Engine | None,
    Field(
        description="'llm' (local Ollama), 'extractive' (no model, fast) or 'auto' (LLM when "
        "available); default: the vault's setting"
    ),
]

ScopeArg = Annotated[
    str,
    Field(min_length=1, max_length=500, description=SCOPE_HELP),
]


class MarkedAnalyze(AnalyzeResult):
    source: Source = "vault_note"
    data_note: str = DATA_NOTE
    ambiguous: list[NameCandidate] = AMBIGUOUS


class MarkedCompare(CompareResult):
    source: Source = "vault_note"
    data_note: str = DATA_NOTE
    ambiguous: list[NameCandidate] = AMBIGUOUS


class MarkedQuiz(QuizResult):
    source: Source = "vault_note"
    data_note: str = DATA_NOTE


def register_study_tools(mcp: MCPServer, host: VaultHost) -> None:
    @mcp.tool(annotations=READ_ONLY)
    async def analyze(
        note: NoteArg, ctx: Context, engine: EngineArg = None
    ) -> Annotated[CallToolResult, MarkedAnalyze]:
        """Study one note: summary, key points with line citations, key terms, open questions,
        suggested tags and link candidates.

        Call this when the user wants a note summarized or explained, or before editing it.
        """

        def run(vault: Vault) -> MarkedAnalyze:
            found = lookup(vault, note)
            result = vault.analyze(found.note.path, engine=engine)
            return MarkedAnalyze(**dict(result), ambiguous=candidates(found))

        return structured(await host.run(ctx.session, run), tool="analyze")

    @mcp.tool(annotations=READ_ONLY)
    async def compare(
        note_a: NoteArg,
        note_b: NoteArg,
        ctx: Context,
        question: Annotated[
            str | None, Field(max_length=2000, description="optional question to answer from both")
        ] = None,
        engine: EngineArg = None,
    ) -> Annotated[CallToolResult, MarkedCompare]:
        """Compare two notes: where they agree, differ or contradict, what only one says; each
        point cites lines of both. Optionally answers a question from the two.

        Call this when the user asks how two notes, drafts or sources relate or conflict.
        """

        def run(vault: Vault) -> MarkedCompare:
            a, b = lookup(vault, note_a), lookup(vault, note_b)
            result = vault.compare(a.note.path, b.note.path, question=question, engine=engine)
            return MarkedCompare(**dict(result), ambiguous=candidates(a) + candidates(b))

        return structured(await host.run(ctx.session, run), tool="compare")

    @mcp.tool(annotations=READ_ONLY)
    async def quiz(
        scope: ScopeArg,
        ctx: Context,
        n: Annotated[int, Field(ge=1, le=50, description="number of questions")] = 5,
        types: Annotated[
            list[QuestionType] | None, Field(description="mcq, true_false, cloze; default all")
        ] = None,
        engine: EngineArg = None,
    ) -> Annotated[CallToolResult, MarkedQuiz]:
        """Make quiz questions (with answers and the cited source line) from notes.

        Call this when the user wants to be quizzed, to review or memorize what they wrote.
        A scope that matches nothing is an error, never questions from unrelated notes.
        """
        if not scope.strip():
            raise ToolError("empty scope: pass a note, a folder/, a #tag or a topic")

        def run(vault: Vault) -> MarkedQuiz:
            if ("/" in scope or "\\" in scope) and not scope.startswith("#"):
                vault.relpath(scope)  # a folder scope may not leave the vault
            return MarkedQuiz(**dict(vault.quiz(scope, n=n, types=types, engine=engine)))

        return structured(await host.run(ctx.session, run), tool="quiz")
