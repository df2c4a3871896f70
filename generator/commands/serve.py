"""Serve the site locally and update it as you edit the facts.

Validates and renders the Markdown as `kb build` does, then serves the site with MkDocs'
live-reloading server at http://127.0.0.1:8000/ (see --port). Saving a file in facts/,
content/ or templates/ regenerates the pages it changes, and the browser reloads them within
seconds. When an edit leaves the facts with errors, the `kb check` report is printed and the
last good site stays up until the errors are fixed. Ctrl-C stops the server.
"""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path

from ..lock import BuildLocked, build_lock
from ..problems import printable
from ..project import Project, find_project_root
from ..publish.serve import REPORTED_ERRORS, MarkdownRegenerator, serve_site
from . import add_root_argument

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_root_argument(parser)
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port to serve on, on {DEFAULT_HOST} (default: {DEFAULT_PORT})",
    )


def port_is_free(host: str, port: int) -> bool:
    # Checked before the first build, so a taken port fails in a second, not after a build.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def run(args: argparse.Namespace) -> int:
    project = Project(find_project_root(args.root or Path.cwd()))
    host, port = DEFAULT_HOST, args.port
    if not 0 < port < 65536:
        print(f"kb serve: --port {port} is not a port number (1-65535)", file=sys.stderr)
        return 2
    if not port_is_free(host, port):
        print(
            f"kb serve: {host}:{port} is in use (another kb serve?); choose one with --port",
            file=sys.stderr,
        )
        return 1
    try:
        # Held while serving: kb serve keeps build/docs/ up to date and takes it to be as it
        # left it, so no kb build may write there meanwhile.
        with build_lock(project, "kb serve"):
            return _serve(project, host, port)
    except BuildLocked as error:
        print(f"kb serve: {printable(str(error))}", file=sys.stderr)
        return 1


def _serve(project: Project, host: str, port: int) -> int:
    from mkdocs.exceptions import MkDocsException

    # One regenerator for the first build and the edits after it: it keeps what it built
    # (the model, the pages, the files read), which is what makes an edit's build short.
    regenerator = MarkdownRegenerator(project)
    first = regenerator.regenerate()
    if first is None or not first.ok:
        print("kb serve: not serving; fix the errors above first.", file=sys.stderr)
        return 1
    print(f"kb serve: serving http://{host}:{port}/ (Ctrl-C stops)", flush=True)
    try:
        serve_site(regenerator, host, port)
    except (MkDocsException, *REPORTED_ERRORS) as error:
        print(f"kb serve: {printable(str(error))}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"kb serve: cannot serve on {host}:{port}: {error.strerror}", file=sys.stderr)
        return 1
    print("kb serve: stopped.", flush=True)
    return 0
