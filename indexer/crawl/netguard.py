"""Refuse private, loopback and link-local addresses, and connect only to the address that was checked."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedAddress(Exception):
    """The host resolves to an address the crawler must not contact."""


def address_problem(ip: Address) -> str | None:
    """Say why an address is not a public internet address, or None when it is."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    for name in ("loopback", "link_local", "unspecified", "multicast", "private", "reserved"):
        if getattr(ip, f"is_{name}"):
            return f"{name.replace('_', '-')} address {ip}"
    if not ip.is_global:
        return f"non-public address {ip}"  # e.g. 100.64.0.0/10 carrier-grade NAT
    return None


def resolve(host: str, port: int, allow_private: bool) -> str:
    """Resolve host and check every address it has; return the one to connect to.

    Raises:
        BlockedAddress: one of the addresses is private, loopback, link-local or otherwise not public.
        OSError: the name does not resolve.
    """
    infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise OSError(f"{host} has no address")
    if not allow_private:
        for text in addresses:
            problem = address_problem(ipaddress.ip_address(text.split("%")[0]))
            if problem:
                raise BlockedAddress(f"{host} resolves to a {problem} (use --allow-private to crawl it)")
    return addresses[0]


class PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to a checked IP; the Host header still names the host (no second DNS lookup)."""

    def __init__(self, host: str, port: int, ip: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.ip = ip

    def connect(self) -> None:
        """Connect to the pinned address, never to a fresh DNS answer (DNS rebinding)."""
        self.sock = socket.create_connection((self.ip, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to a checked IP, verifying the certificate for the host name."""

    def __init__(self, host: str, port: int, ip: str, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self.ip = ip
        self.tls_context = context

    def connect(self) -> None:
        """Connect to the pinned address and start TLS with the host name for SNI and verification."""
        sock = socket.create_connection((self.ip, self.port), self.timeout)
        self.sock = self.tls_context.wrap_socket(sock, server_hostname=self.host)


def open_connection(scheme: str, host: str, port: int, ip: str, timeout: float) -> http.client.HTTPConnection:
    """Return an unopened connection pinned to ip."""
    if scheme == "https":
        return PinnedHTTPSConnection(host, port, ip, timeout, ssl.create_default_context())
    return PinnedHTTPConnection(host, port, ip, timeout)
