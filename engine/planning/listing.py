"""--list-hosts, --list-tasks and --list-tags: what would run, without running it."""
from __future__ import annotations

from typing import TextIO

from ..core.model import Playbook, iter_tasks
from ..core.options import Options
from ..loading.inventory import Inventory
from .tags import selected


def _tags(values) -> str:
    return "[" + ", ".join(sorted(set(values))) + "]"


def list_playbook(playbook: Playbook, shown_path: str, options: Options, out: TextIO,
                  hosts: bool, tasks: bool, tags: bool) -> None:
    inventory = Inventory.load(options.inventory, playbook_dir=playbook.basedir, vault=options.vault_secrets)
    if options.limit:
        inventory.select("all", options.limit)  # a missing @limit file stops before anything is listed
    out.write(f"\nplaybook: {shown_path}\n")
    for number, play in enumerate(playbook.plays, start=1):
        play_tags = play.get("tags") or []
        play_tags = play_tags if isinstance(play_tags, list) else [t.strip() for t in str(play_tags).split(",")]
        out.write(f"\n  play #{number} ({play.hosts}): {play.display_name}\tTAGS: {_tags(play_tags)}\n")
        if hosts:
            matched = [h.name for h in inventory.select(play.hosts, options.limit)]  # --limit, @retry files too
            out.write(f"    pattern: {[play.hosts]!r}\n    hosts ({len(matched)}):\n")
            for name in matched:
                out.write(f"      {name}\n")
        chosen = [t for section in play.sections() for t in iter_tasks(section)
                  if selected(t.get("tags", []), options.tags, options.skip_tags)]
        if tasks:
            out.write("    tasks:\n")
            for task in chosen:
                out.write(f"      {task.display_name}\tTAGS: {_tags(task.get('tags', []))}\n")
        if tags:
            every = set()
            for section in play.sections():
                for task in iter_tasks(section):
                    every.update(task.get("tags", []))
            out.write(f"      TASK TAGS: {_tags(every)}\n")
