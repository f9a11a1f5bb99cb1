"""CLI: ``python -m tests.simulators glesys:8101 [other:port ...] [options]``.

Starts each named simulator on 127.0.0.1 (port 0 or omitted = any free port), writes
``{provider: url}`` as JSON to ``--ready-file`` once all are listening, prints the same
JSON line, and serves until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import threading

from .launcher import PROVIDERS, QUICK_KNOBS, UnknownProvider, credentials_env, simulator_class, start


def parse_target(text: str) -> tuple[str, int]:
    provider, port = text.partition(":")[::2]
    try:
        number = int(port) if port else 0
    except ValueError:
        raise ValueError(f"bad port in {text!r}") from None
    if not 0 <= number <= 65535:
        raise ValueError(f"bad port in {text!r}")
    simulator_class(provider)
    return provider, number


def parse_knobs(items: list[str], providers: list[str]) -> dict[str, dict]:
    """``[PROVIDER.]NAME=VALUE`` -> {provider: {name: value}}; values are JSON when they parse as JSON."""
    knobs: dict[str, dict] = {provider: {} for provider in providers}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--knob expects [PROVIDER.]NAME=VALUE, got {item!r}")
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        scope, dot, knob = name.rpartition(".")
        if dot and scope not in knobs:
            raise ValueError(f"--knob {item!r}: {scope!r} is not one of the started providers")
        targets = [scope] if dot else [p for p in providers if knob in simulator_class(p).KNOBS]
        if not targets or any(knob not in simulator_class(p).KNOBS for p in targets):
            raise ValueError(f"--knob {item!r}: no started provider has a knob {knob!r}")
        for provider in targets:
            knobs[provider][knob] = value
    return knobs


def write_atomic(path: str, text: str) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def remove_quietly(path: str | None) -> None:
    if path:
        try:
            os.unlink(path)
        except OSError:
            pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.simulators",
        description="Run provider API simulators on 127.0.0.1 until SIGTERM/SIGINT.",
        epilog=f"known providers: {', '.join(sorted(PROVIDERS))}",
    )
    parser.add_argument("targets", nargs="+", metavar="PROVIDER[:PORT]", help="simulator to start; port 0 or none = any")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every provider request")
    parser.add_argument("--seed-servers", type=int, default=0, help="number of deterministic seeded servers")
    parser.add_argument("--knob", action="append", default=[], metavar="[PROVIDER.]NAME=VALUE",
                        help="provider knob, e.g. glesys.lock_seconds=0.2 (repeatable)")
    parser.add_argument("--pid-file", help="write this process id here")
    parser.add_argument("--ready-file", help="write {provider: url} JSON here once listening")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument("--quick", action="store_true",
                        help="short waits (the knobs the tests and `make demo` use); --knob still wins")
    parser.add_argument("--env-file", help="write `export NAME=value` lines that point the collection at the "
                                           "simulators (URLs and credentials) here, for `. FILE` in a shell")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="one more line for --env-file (repeatable)")
    options = parser.parse_args(argv)

    try:
        targets = [parse_target(text) for text in options.targets]
        providers = [target[0] for target in targets]
        if len(set(providers)) != len(providers):
            raise ValueError("each provider can be started once")
        knobs = parse_knobs(options.knob, providers)
        if options.quick:
            knobs = {p: dict(QUICK_KNOBS.get(p, {}), **knobs[p]) for p in providers}
        extra_env = [item.partition("=") for item in options.env]
        if any(not name or sep != "=" for name, sep, _value in extra_env):
            raise ValueError("--env takes NAME=VALUE")
    except ValueError as exc:  # UnknownProvider is a ValueError
        parser.error(str(exc))

    stop = threading.Event()

    def on_signal(signum, frame):  # pylint: disable=unused-argument
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    if options.pid_file:
        write_atomic(options.pid_file, f"{os.getpid()}\n")
    handles = []
    try:
        for provider, port in targets:
            handles.append(start(provider, port=port, latency=options.latency, seed_servers=options.seed_servers,
                                 verbose=options.verbose, **knobs[provider]))
        urls = {handle.provider: handle.url for handle in handles}
        if options.ready_file:
            write_atomic(options.ready_file, json.dumps(urls) + "\n")
        if options.env_file:
            lines = [f"export {name}={shlex.quote(value)}" for handle in handles
                     for name, value in credentials_env(handle.provider, handle.url).items()]
            lines += [f"export {name}={shlex.quote(value)}" for name, _sep, value in extra_env]
            write_atomic(options.env_file, "\n".join(lines) + "\n")
        print(json.dumps(urls), flush=True)
        while not stop.wait(0.5):
            pass
        return 0
    except (OSError, UnknownProvider, ValueError) as exc:
        print(f"python -m tests.simulators: error: {exc}", file=sys.stderr)
        return 1
    finally:
        for handle in handles:
            handle.stop()
        remove_quietly(options.ready_file)
        remove_quietly(options.env_file)
        remove_quietly(options.pid_file)


if __name__ == "__main__":
    sys.exit(main())
