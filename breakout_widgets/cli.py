"""The ``breakout-widgets`` command line: ``lab`` (service + JupyterLab) and ``serve``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .errors import BreakoutError

LAB_EPILOG = """\
Everything after -- goes to `jupyter lab`, e.g.
  breakout-widgets lab -- --ServerApp.ip=0.0.0.0

Notebooks opened in this JupyterLab find the service by themselves: bw.connect()
reads BREAKOUT_WIDGETS_URL and BREAKOUT_WIDGETS_ADMIN_KEY, which this command sets.
Ctrl-C (or SIGTERM) stops JupyterLab, its kernels and the service.
"""


def _settings(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from .service.settings import Settings

    return Settings(
        db=args.db,
        db_schema=args.db_schema,
        data_dir=Path(args.data_dir) if args.data_dir else None,
        redis_url=getattr(args, "redis", None),  # only `serve` has --redis
    ).resolve()


def _announce(url: str, settings) -> None:  # type: ignore[no-untyped-def]
    # Tests and scripts read the first line to find a port chosen with --port 0.
    print(f"breakout-widgets service listening on {url}", flush=True)
    print(f"  database: {_safe(settings.db)}", flush=True)
    if settings.redis_url:
        print(f"  redis: {_safe(settings.redis_url)} (several processes)", flush=True)
    if os.environ.get("BREAKOUT_WIDGETS_ADMIN_KEY"):
        print("  admin key: from $BREAKOUT_WIDGETS_ADMIN_KEY", flush=True)
    else:
        print(f"  admin key: in {settings.data_dir}/admin_key", flush=True)
    print(f"  API docs: {url}/docs", flush=True)


def _serve(args: argparse.Namespace) -> int:
    from .service.server import serve_forever

    settings = _settings(args)
    serve_forever(
        settings,
        args.host,
        args.port,
        log_level=args.log_level,
        on_ready=lambda url: _announce(url, settings),
    )
    return 0


def _lab(args: argparse.Namespace) -> int:
    from .lab import LabOptions, run

    settings = _settings(args)
    options = LabOptions(
        host=args.host,
        port=args.port,
        notebooks=Path(args.notebooks) if args.notebooks else None,
        lab_port=args.lab_port,
        open_browser=not args.no_browser,
        public_url=args.public_url,
        log_level=args.log_level,
        lab_args=args.lab_args,
    )
    return run(settings, options, lambda url: _announce(url, settings))


def _safe(db: str | None) -> str:
    """The database URL without its password."""
    if db and "@" in db and "://" in db:
        scheme, rest = db.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}" if ":" in creds else db
    return str(db)


def _service_options(parser: argparse.ArgumentParser, log_level: str) -> None:
    parser.add_argument(
        "--host", default="127.0.0.1", help="service address (default: %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8765,
        help="service port; 0 picks a free one (default: %(default)s)",
    )
    parser.add_argument(
        "--db",
        default=None,
        metavar="URL",
        help="SQLite path or postgresql://… (default: SQLite in the data folder)",
    )
    parser.add_argument(
        "--db-schema", default=None, metavar="SCHEMA", help="PostgreSQL schema for the tables"
    )
    parser.add_argument(
        "--data-dir",
        default=None,
        metavar="DIR",
        help="where the admin key and the SQLite file live "
        "(default: $BREAKOUT_WIDGETS_HOME, else your user data folder)",
    )
    parser.add_argument(
        "--log-level", default=log_level, help="service log level (default: %(default)s)"
    )


def build_parser() -> argparse.ArgumentParser:
    """The command line's parser (``main`` runs it)."""
    parser = argparse.ArgumentParser(
        prog="breakout-widgets", description="Breakout rooms for classes in Jupyter."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    lab = sub.add_parser(
        "lab",
        help="run the meeting service and JupyterLab on the notebooks (the main command)",
        description="Start the meeting service (SQLite in your data folder unless --db),\n"
        "then JupyterLab on the notebooks folder; stop both together.",
        epilog=LAB_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _service_options(lab, log_level="warning")
    lab.add_argument(
        "--notebooks",
        default=None,
        metavar="DIR",
        help="folder JupyterLab opens (default: ./notebooks if it exists, else the current folder)",
    )
    lab.add_argument(
        "--lab-port",
        type=int,
        default=8888,
        help="JupyterLab's port; 0 picks a free one (default: %(default)s)",
    )
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser")
    lab.add_argument(
        "--public-url",
        default=None,
        metavar="URL",
        help="the service's address for students on other machines, put in join links "
        "(default: the service URL; with --host 0.0.0.0 this machine's address)",
    )
    lab.add_argument(
        "lab_args", nargs="*", metavar="-- LAB_ARG", help="after --: arguments for `jupyter lab`"
    )
    lab.set_defaults(func=_lab)

    serve = sub.add_parser("serve", help="run only the meeting service")
    _service_options(serve, log_level="info")
    serve.add_argument(
        "--redis",
        default=None,
        metavar="URL",
        help="redis://… shared by several service processes (with a PostgreSQL --db); "
        "default: $BREAKOUT_WIDGETS_REDIS_URL, else one process on its own",
    )
    serve.set_defaults(func=_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BreakoutError as exc:
        print(f"breakout-widgets: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
