"""Ranked unlinked mentions (issue 33) on a hand-made vault where the right answer is known:
a generic-word page ("Server") named in passing, a specific page named on topic."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from vault_core.linking.mention_evidence import link_habits
from vault_core.linking.mention_rank import ranked_mentions
from vault_core.linking.related import related
from vault_core.linking.related_index import note_index
from vault_core.vault import Vault

# "server" is a plain word in most of these notes (a common word of the vault); none is about it
PASSING = [
    ("Cafe visit", "The server brought coffee and a croissant to our table by the window."),
    ("Wedding", "Our server at the reception poured wine and told a long joke."),
    ("Tennis", "She won the point because the server double faulted twice in a row."),
    ("Diner", "A friendly server refilled the water glasses without being asked."),
    ("Volleyball", "The server stepped behind the line and tossed the ball high."),
    ("Restaurant review", "Our server recommended the fish soup, which was excellent."),
    ("Badminton", "The server must hit the shuttle below the waist."),
    ("Bistro", "The server was slow, but the onion soup was worth the wait."),
    ("Brunch", "Our server forgot the pancakes, then brought two plates of them."),
    ("Pub quiz", "The server at the bar knew every answer about rivers."),
    ("Table tennis", "The server tossed the ball from an open palm, as the rules say."),
    ("Steakhouse", "The server asked how we wanted our steaks cooked."),
]
FILES = {
    "Server.md": (
        "# Server\n\nA server is a computer program that answers requests from clients over a "
        "network: web servers, database servers, mail servers and their configuration.\n"
    ),
    "Sourdough Starter.md": (
        "# Sourdough Starter\n\nA sourdough starter is a culture of wild yeast and lactic acid "
        "bacteria in flour and water. Feed it daily; it doubles in four to eight hours.\n"
    ),
    "Baking log.md": (
        "# Baking log\n\n"
        "Fed the sourdough starter at 8am with rye flour and water; it doubled by noon.\n"
        "The sourdough starter smelled sour, so I fed it twice more before baking the loaf.\n"
        "At the bakery cafe the server said their sourdough starter is twenty years old.\n"
    ),
    **{f"{name}.md": f"# {name}\n\n{text}\n" for name, text in PASSING},
}


@pytest.fixture
def vault(make_vault: Callable[..., Vault]) -> Vault:
    return make_vault(FILES)


def test_generic_page_in_passing_is_dropped_specific_page_on_topic_is_kept(vault: Vault) -> None:
    found = ranked_mentions(vault, "Baking log.md")
    assert [m.target for m in found] == ["Sourdough Starter.md"]
    every = {m.target: m for m in ranked_mentions(vault, "Baking log.md", show_all=True)}
    assert set(every) == {"Sourdough Starter.md", "Server.md"}
    server, starter = every["Server.md"], every["Sourdough Starter.md"]
    assert server.generic and not server.shown
    assert server.score < starter.score
    assert starter.shown and not starter.generic


def test_repeated_mentions_collapse_into_one_at_the_first(vault: Vault) -> None:
    (starter,) = ranked_mentions(vault, "Baking log.md")
    assert (starter.line, starter.text) == (3, "sourdough starter")
    assert [o.line for o in starter.others] == [4, 5]
    line = (vault.root / "Baking log.md").read_text().split("\n")[2]
    assert line[starter.start_col : starter.end_col] == "sourdough starter"
    assert starter.replacement == "[[sourdough starter]]"  # names resolve case-insensitively


def test_cli_all_restores_the_full_list_with_scores(
    vault: Vault, capsys: pytest.CaptureFixture[str]
) -> None:
    from vault_cli.main import main

    root = str(vault.root)
    vault.close()  # the CLI opens its own writer
    assert main(["--root", root, "mentions", "Baking log.md", "--json"]) == 0
    default = json.loads(capsys.readouterr().out)
    assert [m["target"] for m in default] == ["Sourdough Starter.md"]
    assert main(["--root", root, "mentions", "Baking log.md", "--all"]) == 0
    out = capsys.readouterr().out
    assert "-> [[server]]" in out and "-> [[sourdough starter]]" in out
    assert out.count("\n") == 2  # one line per target, not per occurrence


def test_related_mention_signal_counts_every_place(vault: Vault) -> None:
    """related()'s mention signal reads mention_rank's groups: still every place, unfiltered."""
    hits = {h.path: h for h in related(vault, "Baking log.md", 10, signals={"keyword"})}
    assert "mention" in hits["Sourdough Starter.md"].ranks
    assert "mention" in hits["Server.md"].ranks
    assert hits["Sourdough Starter.md"].ranks["mention"] < hits["Server.md"].ranks["mention"]


# -- the vault's own habit: a generic word its writers link (or never link) --------------------
# Fifteen operations notes use "server"; in one vault they link it almost everywhere, in the other
# nowhere. The mentioning note is the same in both, so only the vault's habit differs.
OPS = [
    ("Deploy checklist", "Build the release, copy it to the {s} and restart the service."),
    ("Backups", "Every night the {s} dumps its database to the backup disk."),
    ("Monitoring", "An alert fires when the {s} stops answering health checks."),
    ("Certificates", "Renew the TLS certificate on the {s} before it expires."),
    ("Logging", "The {s} writes access logs that rotate every week."),
    ("Firewall", "Only ports 22 and 443 are open on the {s} firewall."),
    ("Load balancer", "The load balancer spreads requests over each {s} in the pool."),
    ("SSH access", "Log in to the {s} with a key, never a password."),
    ("Patching", "Apply security updates to the {s} on the first Monday of the month."),
    ("Disk space", "Clean old releases when the {s} disk is more than 80% full."),
    ("Time sync", "The {s} keeps its clock right with NTP."),
    ("DNS", "The DNS record points the domain at the {s} address."),
    ("Cron jobs", "Scheduled jobs on the {s} clean the temp folder every hour."),
    ("Users", "Each engineer has an account on the {s}, removed when they leave."),
    ("Uptime", "The {s} was up 99.9% of the time last quarter."),
]
SOURCE = (
    "# Outage report\n\nThe database server ran out of memory at midnight; after a restart it "
    "answered requests from its clients over the network again.\n"
)


def ops_vault(linked: bool) -> dict[str, str]:
    word = "[[server]]" if linked else "server"
    return {
        "Server.md": (
            "# Server\n\nA server is a machine that runs our services and answers their "
            "requests. When a server runs out of memory or disk it stops answering until it is "
            "restarted.\n"
        ),
        "Outage report.md": SOURCE,
        **{f"{n}.md": f"# {n}\n\n{t.format(s=word)}\n" for n, t in OPS},
    }


@pytest.mark.parametrize("linked", [True, False], ids=["habitually-linked", "never-linked"])
def test_a_generic_word_is_suggested_only_where_the_vault_links_it(
    make_vault: Callable[..., Vault], linked: bool
) -> None:
    vault = make_vault(ops_vault(linked))
    (server,) = ranked_mentions(vault, "Outage report.md", show_all=True)
    assert server.target == "Server.md" and server.generic  # a common word of both vaults
    assert server.shown is linked
    # the habit is the other notes' links (the 15 operations notes; the mentioning note is left out)
    assert server.features["habit"] == (1.0 if linked else 0.0)
    if linked:
        assert "the vault links it by this word" in server.reasons
        assert [m.target for m in ranked_mentions(vault, "Outage report.md")] == ["Server.md"]
    else:
        assert ranked_mentions(vault, "Outage report.md") == []


def test_link_habit_leaves_the_mentioning_note_out(make_vault: Callable[..., Vault]) -> None:
    """A note's own links never vouch for a mention in it (and a label from it is not leaked)."""
    vault = make_vault(ops_vault(True))
    habits, index, key = link_habits(vault), note_index(vault), ("server",)
    assert habits.linked_by(key, "Server.md", "Outage report.md") == len(OPS)
    assert habits.linked_by(key, "Server.md", "Backups.md") == len(OPS) - 1
    mine = habits.habit(index, key, "Server.md", "Backups.md")
    assert mine < habits.habit(index, key, "Server.md", "Outage report.md")
