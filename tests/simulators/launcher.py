"""Start provider simulators in background threads.

>>> handle = start("glesys", seed_servers=10, lock_seconds=0.2)
>>> handle.url            # 'http://127.0.0.1:41234'
>>> handle.sim            # the Simulator object, for direct state inspection
>>> handle.stop()

The CLI around this is ``python -m tests.simulators`` (see ``__main__.py``).
"""

from __future__ import annotations

import importlib
import threading

from .core import SimHTTPServer, Simulator

# provider name -> "<module relative to this package>:<Simulator subclass>"; new providers add a line.
PROVIDERS = {
    "glesys": ".glesys:GlesysSimulator",
    "hostkey": ".hostkey:HostkeySimulator",
    "hostup": ".hostup:HostupSimulator",
    "serverspace": ".serverspace:ServerspaceSimulator",
    "skyport": ".skyport:SkyportSimulator",
}

HOST = "127.0.0.1"

# Short waits for the tests and the demo: every flow stays asynchronous, only faster than the real providers.
QUICK_KNOBS = {
    "glesys": {"lock_seconds": 1.0, "power_seconds": 0.5},
    "hostkey": {"power_seconds": 0.2, "status_seconds": 0.1, "deploy_seconds": 0.5, "reinstall_seconds": 0.5,
                "cancel_seconds": 0.2, "cancel_gone_seconds": 0.2},
    "hostup": {"job_seconds": 0.3, "dns_pending_seconds": 0.3, "provision_seconds": 1.0},
    "serverspace": {"task_seconds": 0.3},
    "skyport": {"rate_window": 1.0, "install_seconds": 0.6, "first_poll_seconds": 0.1},
}


class UnknownProvider(ValueError):
    """A provider name that is not in PROVIDERS."""


def simulator_class(provider: str) -> type[Simulator]:
    try:
        spec = PROVIDERS[provider]
    except KeyError:
        raise UnknownProvider(f"unknown provider {provider!r}; known providers: {', '.join(sorted(PROVIDERS))}") from None
    module_name, attr = spec.partition(":")[::2]
    module = importlib.import_module(module_name, __package__)
    return getattr(module, attr)


class SimulatorHandle:
    """A running simulator: ``url``, ``port``, ``sim`` and ``stop()``; usable as a context manager."""

    def __init__(self, provider: str, sim: Simulator, server: SimHTTPServer):
        self.provider = provider
        self.sim = sim
        self.server = server
        self.port = server.server_address[1]
        self.url = f"http://{HOST}:{self.port}"
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"sim-{provider}-{self.port}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self.server.stop()
            self._thread.join(timeout=5)

    def __enter__(self) -> SimulatorHandle:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<SimulatorHandle {self.provider} {self.url}>"


def start(provider: str, port: int = 0, latency: float = 0.0, seed_servers: int = 0, verbose: bool = False,
          **knobs) -> SimulatorHandle:
    """Start ``provider``'s simulator on 127.0.0.1:``port`` (0 = any free port) and return its handle.

    ``knobs`` are the provider's own settings (``Simulator.KNOBS``); an unknown one raises ValueError.
    """
    sim = simulator_class(provider)(latency=latency, seed_servers=seed_servers, **knobs)
    server = SimHTTPServer(sim, HOST, port, verbose=verbose)
    return SimulatorHandle(provider, sim, server)


def credentials_env(provider: str, url: str) -> dict:
    """The environment variables (DESIGN.md section 2) that point the collection at this simulator."""
    module = importlib.import_module(PROVIDERS[provider].partition(":")[0], __package__)
    if provider == "glesys":
        return {"GLESYS_API_URL": url, "GLESYS_PROJECT": module.PROJECT, "GLESYS_API_KEY": module.API_KEY}
    if provider == "hostkey":
        return {"HOSTKEY_API_URL": url, "HOSTKEY_API_KEY": module.API_KEY, "HOSTKEY_PIN": module.PIN}
    if provider == "skyport":
        return {"SKYPORT_URL": url, "SKYPORT_API_KEY": module.API_KEY}
    prefix = provider.upper()
    return {prefix + "_API_URL": url, prefix + "_API_KEY": module.API_KEY}
