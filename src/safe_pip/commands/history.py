"""`safe-pip history [--json] [--clear]`: fixes tried before on this machine, and whether they worked."""

from __future__ import annotations

from safe_pip import __version__
from safe_pip.render import Console

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "history", help="fixes tried before on this machine, and whether they worked"
    )
    parser.add_argument("--json", action="store_true", help="print the records as JSON")
    parser.add_argument("--clear", action="store_true", help="forget every record")


def run(args: argparse.Namespace, console: Console) -> int:
    import json
    import sqlite3

    from safe_pip.history import HistoryStore, default_history_path

    store = HistoryStore(default_history_path())
    try:
        if args.clear:
            count = store.clear()
            console.say(f"forgot {count} record{'' if count == 1 else 's'} ({store.path})")
            return 0
        records = store.records()
    except (sqlite3.Error, OSError) as error:
        console.error(f"cannot read the fix history {store.path}: {error}")
        return 1
    finally:
        for warning in store.warnings:
            console.warning(warning)
    if args.json:
        print(
            json.dumps(
                {
                    "schema_version": 1,
                    "safe_pip_version": __version__,
                    "path": str(store.path),
                    "records": [record.to_json() for record in records],
                },
                indent=2,
            )
        )
        return 0
    if not records:
        console.say(f"no fixes recorded yet ({store.path})")
        return 0
    print(f"{'when (UTC)':<17}  {'package':<20}  {'failure':<26}  {'fix':<18}  {'result':<6}  interpreter")
    for record in records:
        when = record.to_json()["recorded_at"]
        result = "worked" if record.worked else "failed"
        print(
            f"{str(when)[:16].replace('T', ' '):<17}  {record.package:<20}  {record.category:<26}  "
            f"{record.fix:<18}  {result:<6}  {record.interpreter}"
        )
    print(f"({len(records)} record{'' if len(records) == 1 else 's'} in {store.path})")
    return 0
