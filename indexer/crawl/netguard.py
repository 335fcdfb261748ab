"""Refuse private, loopback and link-local addresses, and connect only to the address that was checked."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedAddress(Exception):
    """The host resolves to an address the crawler must not contact."""


NAT64_WKP = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 well-known prefix: IPv4 in the last 32 bits
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215 local-use prefix


def embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[list[ipaddress.IPv4Address], bool]:
    """Return the IPv4 addresses an IPv6 address carries, and whether it is only a translation of them.

    IPv4-mapped and NAT64 addresses are the IPv4 host itself; 6to4 and Teredo are tunnels whose IPv6 address
    is judged too.
    """
    n = int(ip)
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped], True
    if ip in NAT64_WKP:
        return [ipaddress.IPv4Address(n & 0xFFFFFFFF)], True
    if ip in NAT64_LOCAL:
        # a /96 translator under the prefix (the usual set-up) puts it last; RFC 6052's /48 layout puts
        # 16 bits after the prefix, skips the reserved u octet, then 16 bits: the host may be either
        last = ipaddress.IPv4Address(n & 0xFFFFFFFF)
        split = ipaddress.IPv4Address(((n >> 64) & 0xFFFF) << 16 | ((n >> 40) & 0xFFFF))
        return [last, split], True
    found = [ip.sixtofour] if ip.sixtofour is not None else []
    return found + list(ip.teredo or ()), False  # Teredo: (server, client); packets reach the client


def address_problem(ip: Address) -> str | None:
    """Say why an address is not a public internet address, or None when it is."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner, translated = embedded_ipv4(ip)
        for v4 in inner:  # ipaddress calls 64:ff9b::7f00:1 global although it is 127.0.0.1
            problem = address_problem(v4)
            if problem:
                return f"{problem} (inside {ip})"
        if translated:
            return None
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
