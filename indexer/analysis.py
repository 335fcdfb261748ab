"""Chinese analysis: cleaning, folding and the tokenizers the Whoosh schema pickles by class path.

Two tokenizers, both numbering tokens in sequence so that phrase queries work:

* ``WordTokenizer``: jieba words (accurate mode) at positions 0, 1, 2 ...; the search-mode sub-words of
  a long word (中华人民共和国 -> 中华, 人民, 共和国) are added at the parent's position for recall.
* ``CharTokenizer``: one token per non-space character, punctuation included, so a quoted phrase
  matches exactly where the folded text (whitespace removed) contains it, whatever jieba does.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterator
from functools import lru_cache, wraps
from pathlib import Path
from typing import Any

from whoosh.analysis import Token, Tokenizer
from whoosh.analysis.analyzers import Analyzer

from .config import PACKAGE_DATA

USERDICT = PACKAGE_DATA / "userdict.txt"

TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
PINYIN_TONED = re.compile(rf"(?<=[{CJK}])[(（]\s*[a-zü]*[{TONED}][a-zü]*\s*[)）]", re.I)
# once a page shows the pattern, a toned syllable after any character is an annotation too (?,F(xiàn))
PINYIN_TONED_ANY = re.compile(rf"(?<=\S)[(（]\s*[a-zü]*[{TONED}][a-zü]*\s*[)）]", re.I)
PINYIN_PLAIN = re.compile(
    rf"(?<=[{CJK}])[(（]\s*(?:[bpmfdtnlgkhjqxrzcsyw]|zh|ch|sh)?[iu]?"
    r"(?:a|o|e|ai|ei|ao|ou|an|en|ang|eng|ong|i|u|ü|v|er|in|ing|un|ia|iao|ie|iu|ian|iang|iong|ua|uo|uai|ui|"
    r"uan|uang)[)）]"
)
# full-width ASCII (Ａ１，) and the ideographic space fold to their ASCII forms, one char for one char
_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_CJK_CHAR = re.compile(rf"[{CJK}]")

_lock = threading.Lock()
_state: dict[str, Any] = {}
_SUBWORDS: dict[str, tuple[tuple[str, int, int], ...]] = {}  # word -> its search-mode sub-words
MAX_SUBWORDS = 500_000  # cached words before the cache starts over (about 100 MB at most)


def strip_pinyin(text: str) -> str:
    """Remove pinyin annotations such as 國(guó) left by bad converters; keep (一), (试行), (WTO)."""
    text = unicodedata.normalize("NFC", text)
    text, n = PINYIN_TONED.subn("", text)
    if n < 2:
        return text
    # toneless (de)/(men), and toned syllables after non-CJK characters, only once the page shows the pattern
    return PINYIN_PLAIN.sub("", PINYIN_TONED_ANY.sub("", text))


def _opencc() -> Any:
    conv = _state.get("opencc")
    if conv is None:
        import opencc

        conv = _state["opencc"] = opencc.OpenCC("t2s")
    return conv


def to_simplified(text: str) -> str:
    """Convert traditional characters to simplified ones (OpenCC t2s), keeping the length."""
    if not _CJK_CHAR.search(text):
        return text
    out = _opencc().convert(text)
    if len(out) != len(text):  # a phrase rule changed the length: convert char by char instead
        out = "".join(_opencc().convert(c) for c in text)
    return out


SHORT = 80  # texts up to this long (titles, query words) are kept once computed (kept_when_short)
KEPT = 16_384  # such texts kept per function, least recently used dropped first


def kept_when_short(fn: Callable[[str], str]) -> Callable[[str], str]:
    """Return fn, its results for texts of up to SHORT characters kept (never a body): a results page folds
    and compacts each of its top hits' titles in several places."""
    kept = lru_cache(maxsize=KEPT)(fn)

    @wraps(fn)
    def call(text: str) -> str:
        return kept(text) if len(text) <= SHORT else fn(text)

    return call


@kept_when_short
def fold(text: str) -> str:
    """Fold text for indexing and querying: simplified, half-width, lower case; same length."""
    return to_simplified(text.translate(_WIDTH)).lower()


def load_userdict(path: Path = USERDICT) -> list[tuple[str, int]]:
    """Read the government-term dictionary: one `word freq` per line, # comments."""
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            word, _, freq = line.partition(" ")
            entries.append((word, int(freq.split()[0]) if freq.strip() else 20000))
    return entries


def segmenter(userdict: Path | None = None) -> Any:
    """Return the process-wide segmenter (rjieba, else jieba), initialised once with the dictionary.

    The dictionary decides the indexed words, so a process has one: asking for another after the first
    raises ValueError rather than silently searching with other word boundaries than the index has."""
    seg = _state.get("seg")
    if seg is not None and (userdict is None or Path(userdict).resolve() == _state["userdict"]):
        return seg
    with _lock:
        if "seg" not in _state:
            path = Path(userdict or USERDICT).resolve()
            _state["seg"], _state["userdict"] = _make_segmenter(path), path
        elif userdict is not None and Path(userdict).resolve() != _state["userdict"]:
            raise ValueError(
                f"the segmenter of this process was loaded with {_state['userdict']}; "
                f"it cannot switch to {userdict} (one dictionary per process)"
            )
    return _state["seg"]


def _make_segmenter(userdict: Path) -> Any:
    try:
        import rjieba as seg
    except ImportError:  # jieba gives the same word boundaries, 10-16x slower
        import jieba as seg

        seg.setLogLevel(60)
        seg.initialize()
    for word, freq in load_userdict(userdict):
        seg.add_word(word, freq, None)
    return seg


def words(text: str, mode: str = "default") -> list[tuple[str, int, int]]:
    """Segment folded text into (word, start, end) with jieba's boundaries."""
    return list(segmenter().tokenize(text, mode=mode))


def _is_indexable(word: str) -> bool:
    return bool(word.strip()) and not (len(word) == 1 and not word.isalnum())


def subwords(word: str) -> tuple[tuple[str, int, int], ...]:
    """Return the indexable search-mode sub-words of one word as (sub, start, end), cached per word."""
    subs = _SUBWORDS.get(word)
    if subs is None:
        subs = tuple(
            (sub, s, e) for sub, s, e in words(word, mode="search") if e - s < len(word) and _is_indexable(sub)
        )
        if len(_SUBWORDS) >= MAX_SUBWORDS:
            _SUBWORDS.clear()
        _SUBWORDS[word] = subs
    return subs


def word_tokens(text: str) -> Iterator[tuple[str, int, int, int]]:
    """Yield (word, position, start, end) for folded text, sub-words at their parent's position."""
    main = [(w, s, e) for w, s, e in words(text) if _is_indexable(w)]
    for i, (w, s, e) in enumerate(main):
        if len(w) > 2 and _CJK_CHAR.match(w):
            for sub, ss, se in subwords(w):
                yield sub, i, s + ss, s + se
        yield w, i, s, e


def char_tokens(text: str) -> Iterator[tuple[str, int, int]]:
    """Yield (char, position, offset) for every non-space character of folded text."""
    pos = 0
    for i, ch in enumerate(text):
        if not ch.isspace():
            yield ch, pos, i
            pos += 1


def bigram_tokens(text: str) -> Iterator[tuple[str, int, int]]:
    """Yield (two characters, position, offset) for each pair of neighbouring non-space characters of folded
    text, numbered in sequence: a phrase of n >= 2 characters is the n - 1 overlapping pairs in a row, and
    their postings are far shorter than those of single common characters (人, 民, 法, 院)."""
    prev: tuple[str, int] | None = None
    pos = 0
    for ch, _, i in char_tokens(text):
        if prev is not None:
            yield prev[0] + ch, pos, prev[1]
            pos += 1
        prev = (ch, i)


def bigrams(text: str) -> list[str]:
    """Return the overlapping character pairs of folded text without spaces (what a bigram field holds)."""
    return [b for b, _, _ in bigram_tokens(text)]


# the bulk indexer's path (engine/whoosh/segments.py): the same tokens as the tokenizers below, as flat sequences,
# without a Token object per token; each field value is folded once for its word and character fields
folded = lru_cache(maxsize=8)(fold)


def raw_words(text: str) -> list[str]:
    """Return jieba's words of raw text once folded, every one (word_terms tells which are indexed, and how)."""
    found = segmenter().cut(folded(text))
    return found if isinstance(found, list) else list(found)  # (rjieba gives a list, jieba a generator)


def word_terms(word: str) -> tuple[str, ...]:
    """Return the terms WordTokenizer yields at one word's position: its search-mode sub-words, then the word
    itself; none for a word it skips (spaces, a lone punctuation mark)."""
    if not _is_indexable(word):
        return ()
    if len(word) > 2 and _CJK_CHAR.match(word):
        return (*(sub for sub, _, _ in subwords(word)), word)
    return (word,)


@lru_cache(maxsize=8)  # (a document's pair and character fields hold the same text)
def stripped(text: str) -> str:
    """Return raw text folded, without the spaces: CharTokenizer yields its characters, BigramTokenizer its
    neighbouring pairs, numbered from 0."""
    return "".join(folded(text).split())  # str.split() drops exactly the isspace() characters


class _SequenceTokenizer(Tokenizer):  # type: ignore[misc]
    """Fold, then yield the tokens of `spans`, numbered in sequence (one Whoosh Token object, reused)."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self).__name__)

    def spans(self, text: str) -> Iterator[tuple[str, int, int, int]]:
        """Yield (token, position, start, end) for folded text."""
        raise NotImplementedError

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kw: Any,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kw)
        for text, pos, s, e in self.spans(folded(value)):
            t.original = t.text = text
            t.boost, t.stopped = 1.0, False
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar, t.endchar = start_char + s, start_char + e
            yield t


class WordTokenizer(_SequenceTokenizer):
    """Fold, then segment with jieba; tokens numbered in sequence."""

    def spans(self, text: str) -> Iterator[tuple[str, int, int, int]]:
        return word_tokens(text)


class CharTokenizer(_SequenceTokenizer):
    """Fold, then one token per non-space character, numbered in sequence."""

    def spans(self, text: str) -> Iterator[tuple[str, int, int, int]]:
        return ((ch, pos, i, i + 1) for ch, pos, i in char_tokens(text))


class BigramTokenizer(_SequenceTokenizer):
    """Fold, then one token per pair of neighbouring non-space characters, numbered in sequence."""

    def spans(self, text: str) -> Iterator[tuple[str, int, int, int]]:
        return ((pair, pos, i, i + 2) for pair, pos, i in bigram_tokens(text))


def word_analyzer() -> Analyzer:
    """Return the analyzer of the word fields (title, body)."""
    return WordTokenizer()


def char_analyzer() -> Analyzer:
    """Return the analyzer of the character fields (ctitle, cbody)."""
    return CharTokenizer()


def bigram_analyzer() -> Analyzer:
    """Return the analyzer of the character-pair fields (btitle, bbody)."""
    return BigramTokenizer()
