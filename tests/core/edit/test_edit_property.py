"""Property test of the write path: random notes (BOM or not, LF or CRLF, frontmatter or not,
trailing spaces, non-ASCII) and random edit sequences. After every edit the file's bytes equal
an independent model of the note with only the target changed: every other byte is kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vault_core.edit.editor import Editor
from vault_core.edit.paths import WritePolicy
from vault_core.edit.splice import sha256
from vault_core.index.link_graph import LinkGraph

LINE = st.text(alphabet="abc XYZé日\t", max_size=12)  # never a heading, fence, list or key
LINES = st.lists(LINE, min_size=1, max_size=4).filter(lambda ls: any(x.strip() for x in ls))


@dataclass
class Model:
    bom: bool
    eol: str
    fm: list[tuple[str, str]] | None
    sections: list[list[str]]  # body lines of "## S{i}"
    tokens: set[int] = field(default_factory=set)

    def render(self) -> bytes:
        out: list[str] = []
        if self.fm is not None:
            out += ["---", *(f"{k}: {v}" for k, v in self.fm), "---"]
        out.append("# Title")
        for i, body in enumerate(self.sections):
            out += [f"## S{i}", *body]
        text = self.eol.join(out) + self.eol
        return (b"\xef\xbb\xbf" if self.bom else b"") + text.encode("utf-8")


def last_content(body: list[str]) -> int:
    k = len(body)
    while k > 0 and not body[k - 1].strip():
        k -= 1
    return k


@st.composite
def models(draw: st.DrawFn) -> Model:
    n = draw(st.integers(1, 4))
    sections = []
    for i in range(n):
        body = draw(st.lists(LINE, max_size=4))
        body.insert(draw(st.integers(0, len(body))), f"token{i}")
        sections.append(body)
    fm = draw(
        st.none()
        | st.lists(st.sampled_from(["title", "status", "aaa"]), unique=True, max_size=3).map(
            lambda ks: [(k, f"v{j} ") for j, k in enumerate(ks)]  # trailing space kept
        )
    )
    return Model(
        bom=draw(st.booleans()),
        eol=draw(st.sampled_from(["\n", "\r\n"])),
        fm=fm,
        sections=sections,
        tokens=set(range(n)),
    )


OPS = st.lists(
    st.tuples(
        st.sampled_from(["append_section", "replace_section", "append_end", "fm", "text"]),
        st.integers(0, 3),
        LINES,
    ),
    min_size=1,
    max_size=6,
)


def apply(ed: Editor, m: Model, op: tuple[str, int, list[str]], version: str) -> None:
    kind, i, lines = op
    i %= len(m.sections)
    content = "\n".join(lines)
    lines = content.removesuffix("\n").split("\n")  # what nvault writes: whole lines
    if kind == "append_section":
        ed.append("n.md", content, heading=[f"S{i}"], version=version)
        body = m.sections[i]
        k = last_content(body)
        body[k:k] = lines
    elif kind == "replace_section":
        ed.replace_section("n.md", [f"S{i}"], content, version)
        body = m.sections[i]
        body[0 : last_content(body)] = lines
        m.tokens = {t for t in m.tokens if f"token{t}" in body or t != i}
        m.tokens = {t for t in m.tokens if any(f"token{t}" in b for b in m.sections)}
    elif kind == "append_end":
        ed.append("n.md", content)
        m.sections[-1].extend(lines)
    elif kind == "fm":
        key = ("title", "status", "zzz", "aaa")[i]
        ed.set_frontmatter("n.md", {key: f"w{i}"}, [], version)
        if m.fm is None:
            m.fm = [(key, f"w{i}")]
        elif any(k == key for k, _ in m.fm):
            m.fm = [(k, f"w{i}" if k == key else v) for k, v in m.fm]
        else:
            m.fm.append((key, f"w{i}"))
    elif kind == "text" and m.tokens:
        t = sorted(m.tokens)[i % len(m.tokens)]
        ed.replace_text("n.md", f"token{t}", f"TOKEN{t}", 1, version)
        m.tokens.discard(t)
        m.sections = [[x.replace(f"token{t}", f"TOKEN{t}") for x in b] for b in m.sections]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(model=models(), ops=OPS)
def test_random_edits_change_only_their_target(tmp_path: Path, model: Model, ops: list) -> None:
    root = tmp_path / "v"
    root.mkdir(exist_ok=True)
    path = root / "n.md"
    path.write_bytes(model.render())
    ed = Editor(root, WritePolicy(root, ["."]), lambda: LinkGraph([]))
    for op in ops:
        if op[0] == "text" and not model.tokens:
            continue
        apply(ed, model, op, sha256(path.read_bytes()))
        assert path.read_bytes() == model.render(), op
