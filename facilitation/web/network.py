"""The address phones use to reach Krug.

Phones on the room's Wi-Fi cannot reach 127.0.0.1: when Krug listens on all interfaces, join
links and the QR code carry the machine's LAN address (or KRUG_PUBLIC_URL when set).
"""
from __future__ import annotations

import fcntl
import socket
import struct

_SIOCGIFADDR = 0x8915


def interface_addresses() -> list[str]:
    """IPv4 addresses of this machine's interfaces, read locally (no packet is sent)."""
    found: list[str] = []
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for _index, name in socket.if_nameindex():
            try:
                packed = fcntl.ioctl(probe.fileno(), _SIOCGIFADDR, struct.pack("256s", name[:15].encode()))
            except OSError:
                continue
            found.append(socket.inet_ntoa(packed[20:24]))
    finally:
        probe.close()
    return found


def lan_address(addresses: list[str] | None = None) -> str | None:
    candidates = [a for a in (addresses if addresses is not None else interface_addresses())
                  if not a.startswith("127.") and not a.startswith("169.254.")]
    # Prefer the private ranges home and office Wi-Fi use.
    candidates.sort(key=lambda a: not a.startswith(("192.168.", "10.", "172.")))
    return candidates[0] if candidates else None


def public_url(config, request_host_url: str) -> str:
    if config.get("PUBLIC_URL"):
        return config["PUBLIC_URL"].rstrip("/")
    host = config.get("HOST", "127.0.0.1")
    port = config.get("PORT", 5000)
    if host in ("0.0.0.0", "::", ""):
        lan = lan_address()
        if lan:
            return f"http://{lan}:{port}"
    elif not host.startswith("127.") and host != "localhost":
        return f"http://{host}:{port}"
    return request_host_url.rstrip("/")
