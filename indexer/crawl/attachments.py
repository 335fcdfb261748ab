"""Attachment text, read in a child process with CPU, memory and time limits (parser loops, bombs)."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from dataclasses import dataclass

from .readers import READERS, Unreadable, read_text, sniff

PARSE_SECONDS = 30.0  # wall-clock limit for reading one attachment
PARSE_MEMORY = 1024 * 1024 * 1024  # address-space limit of the reader process
MAX_TEXT = 1_000_000  # characters of text kept per attachment


@dataclass(frozen=True)
class AttachmentText:
    """The text of one attachment, or the note that says why there is none."""

    kind: str
    text: str = ""
    note: str = ""


def attachment_text(data: bytes, name: str, timeout: float = PARSE_SECONDS) -> AttachmentText:
    """Read an attachment's text in a separate, limited process."""
    kind = sniff(data, name)
    if kind not in READERS:
        return AttachmentText(kind, note=f"unsupported attachment type: {kind.upper()} (no maintained reader)")
    cmd = [sys.executable, "-m", "indexer.crawl.attachments", kind, str(MAX_TEXT), str(int(timeout) + 1)]
    try:
        done = subprocess.run(cmd, input=data, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return AttachmentText(kind, note=f"reading the {kind.upper()} took over {timeout:g} s: stopped, no text")
    if done.returncode != 0:
        last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["killed"])[-1]
        return AttachmentText(kind, note=f"{kind.upper()} reader failed (exit {done.returncode}): {last[:200]}")
    out = json.loads(done.stdout)
    return AttachmentText(kind, text=out["text"], note=out["note"])


def _child(kind: str, max_chars: int, cpu_seconds: int) -> None:
    """Read stdin as a file of the given kind and print {"text", "note"} as JSON."""
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_AS, (PARSE_MEMORY, PARSE_MEMORY))
    data = sys.stdin.buffer.read()
    try:
        text, note = read_text(kind, data, max_chars)
    except Unreadable as e:
        text, note = "", str(e)
    except MemoryError:
        text, note = "", f"{kind.upper()} needs more than {PARSE_MEMORY // 2**20} MiB to read: no text"
    except RecursionError:
        text, note = "", f"{kind.upper()} nests too deep to read: no text"
    sys.stdout.buffer.write(json.dumps({"text": text, "note": note}, ensure_ascii=False).encode("utf-8"))


if __name__ == "__main__":
    _child(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
