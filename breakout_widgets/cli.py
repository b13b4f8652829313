"""The ``breakout-widgets`` command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import BreakoutError


def _serve(args: argparse.Namespace) -> int:
    from .service.server import serve_forever
    from .service.settings import Settings

    settings = Settings(
        db=args.db,
        db_schema=args.db_schema,
        data_dir=Path(args.data_dir) if args.data_dir else None,
    ).resolve()

    def ready(url: str) -> None:
        # Tests and scripts read this line to find a port chosen with --port 0.
        print(f"breakout-widgets service listening on {url}", flush=True)
        print(f"  database: {_safe(settings.db)}", flush=True)
        print(f"  admin key: in {settings.data_dir}/admin_key", flush=True)
        print(f"  API docs: {url}/docs", flush=True)

    serve_forever(settings, args.host, args.port, log_level=args.log_level, on_ready=ready)
    return 0


def _safe(db: str | None) -> str:
    """The database URL without its password."""
    if db and "@" in db and "://" in db:
        scheme, rest = db.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}" if ":" in creds else db
    return str(db)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="breakout-widgets", description="Breakout rooms for classes in Jupyter."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the meeting service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    serve.add_argument(
        "--db", default=None, help="SQLite path or postgresql://… (default: the data folder)"
    )
    serve.add_argument("--db-schema", default=None, help="PostgreSQL schema for the tables")
    serve.add_argument(
        "--data-dir", default=None, help="where the admin key and the SQLite file live"
    )
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(func=_serve)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BreakoutError as exc:
        print(f"breakout-widgets: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
