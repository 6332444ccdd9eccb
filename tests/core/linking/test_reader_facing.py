"""What a person reads must be right (issue 18): mentions without common-word noise, candidate
links that resolve, frontmatter and identifiers searchable, one hit per passage, quiz options of
one kind. Real files, real LanceDB, the real embedded model."""

from __future__ import annotations

from collections.abc import Callable

from vault_core.linking.mentions import unlinked_mentions
from vault_core.parse.markdown import parse_note
from vault_core.study.analyze import analyze
from vault_core.study.options import any_equivalent, equivalent, is_fragment, same_kind
from vault_core.vault import Vault

FILLER = [
    "The build system restarts the system service every night.",
    "Our system of notes keeps growing; the system works.",
    "A system for planning meals, and another system for chores.",
]


def _mention_vault(make_vault: Callable[..., Vault]) -> Vault:
    files = {f"daily/day {i:02d}.md": FILLER[i % 3] for i in range(14)}  # "system" is common
    files |= {
        "System.md": "# System\nA set of parts that work together.\n",
        "Kubernetes.md": "# Kubernetes\nRuns containers.\n",
        "Kernel Module.md": "Code loaded into the kernel at run time.\n",
        "Set.md": "# Set\nA collection.\n",
        "Source.md": (
            "# Source\n"
            "The booking system failed again.\n"  # common word, lower case: not a mention
            "We moved it to Kubernetes last year.\n"  # rare word: a mention
            "Load the kernel module with modprobe.\n"  # multi-word name: a mention
            "The old Micro-Computer Set-8 chips.\n"  # piece of a compound: not a mention
            "## Kubernetes\n"  # a heading is not a place for a link
        ),
    }
    return make_vault(files)


def test_mentions_skip_common_words_compounds_and_headings(
    make_vault: Callable[..., Vault],
) -> None:
    vault = _mention_vault(make_vault)
    found = {(m.line, m.text) for m in unlinked_mentions(vault, "Source.md")}
    assert found == {(3, "Kubernetes"), (4, "kernel module")}
    every = {(m.line, m.text) for m in unlinked_mentions(vault, "Source.md", strict=False)}
    assert {(2, "system"), (5, "Set"), (6, "Kubernetes")} <= every  # the unfiltered signal


def test_a_common_word_the_vault_links_by_that_word_is_a_mention(
    make_vault: Callable[..., Vault],
) -> None:
    files = {f"daily/day {i:02d}.md": FILLER[i % 3] for i in range(14)}
    files |= {f"linked {i}.md": "See the [[System|system]] note." for i in range(3)}
    files |= {"System.md": "# System\nParts.\n", "Source.md": "The system is down.\n"}
    vault = make_vault(files)
    assert [m.text for m in unlinked_mentions(vault, "Source.md")] == ["system"]


def test_several_h1_headings_are_sections_and_the_title_is_the_file_name() -> None:
    sections = parse_note("# Tools\n- adb\n# Notes\nText.\n", "Android Partitions.md")
    assert sections.title == "Android Partitions"
    assert parse_note("# Real Title\nText.\n", "file.md").title == "Real Title"


def test_candidate_links_use_the_name_the_resolver_reads(make_vault: Callable[..., Vault]) -> None:
    vault = make_vault(
        {
            "Android Partitions.md": "# Tools\n- eMMC partitions on Android phones\n# Notes\n"
            "Android phones keep boot, recovery and userdata partitions on eMMC storage.\n",
            "Block Devices.md": "# Physically\nA block device stores data in blocks.\n"
            "# Software\nAndroid phones expose eMMC partitions as block devices.\n",
            "Flash Storage.md": "Flash storage such as eMMC keeps Android partitions.\n",
        }
    )
    result = analyze(vault, "Flash Storage.md", engine="extractive", use_cache=False)
    assert result.candidate_links
    graph = vault.graph
    for link in result.candidate_links:
        assert graph.candidates(link.link_text, "Flash Storage.md")[:1] == [link.path]
        assert link.link_text not in ("Tools", "Physically")


def test_frontmatter_values_are_searchable_by_keyword(make_vault: Callable[..., Vault]) -> None:
    vault = make_vault(
        {
            "Trip.md": "---\ndescription: Zanzibar snorkelling itinerary\nstatus: draft\n---\n"
            "# Trip\nPack light.\n",
            "Only front.md": "---\nsummary: quokka census\n---\n",
            "Other.md": "# Other\nNothing about islands.\n",
        }
    )
    assert [h.path for h in vault.search("zanzibar", mode="keyword")] == ["Trip.md"]
    assert [h.path for h in vault.search("quokka", mode="keyword")] == ["Only front.md"]
    assert vault.read_note("Trip.md").text.count("Zanzibar") == 1  # the note itself is unchanged


def test_identifiers_match_in_joined_lower_case(make_vault: Callable[..., Vault]) -> None:
    vault = make_vault(
        {
            "Code.md": "# Code\nCall cleanDatabases() before the tests.\n",
            "Other.md": "# Other\nClean the kitchen.\n",
        }
    )
    assert [h.path for h in vault.search("cleandatabases", mode="keyword")] == ["Code.md"]


def test_hits_for_the_same_passage_merge(make_vault: Callable[..., Vault]) -> None:
    line = " ".join(f"Sentence {i} about the aurora borealis over Tromso." for i in range(60))
    vault = make_vault({"Long.md": f"# Long\n\n{line}\n\nAurora notes end here.\n"})
    hits = vault.search("aurora borealis Tromso", limit=10)
    spans = [(h.path, h.start_line, h.end_line) for h in hits]
    for i, (path, start, end) in enumerate(spans):
        for other, s2, e2 in spans[i + 1 :]:
            assert path != other or e2 < start or s2 > end, spans  # no overlapping citations


def test_option_checks() -> None:
    assert equivalent("Templates", "template") and equivalent("template", "template.new")
    assert not equivalent("Hinduism", "Buddhism")
    assert any_equivalent(["Space Lua", "space  lua", "Lua"]) and not any_equivalent(["a1", "b2"])
    assert is_fragment("by the TEE") and is_fragment("TEE SUBFOLDER,") and not is_fragment("TEE")
    assert same_kind("Hinduism", "Buddhism") and not same_kind("Hinduism", "TEE SUBFOLDER")
    assert not same_kind("kernel", "Kernel Module") and not same_kind("eMMC", "storage")
