"""What a person typed, read as words, phrases and prefixes, and written out for each engine.

Nothing typed is passed to an engine's query syntax as it is: the words are taken out
(letters and digits only) and written back quoted, so operators such as ``OR``, ``NEAR(``,
``-`` or a stray quote are just words or nothing, and no input makes a query fail.

- ``word`` must appear (all words must, in any order and any column);
- ``"two words"`` must appear as a phrase; an unclosed quote runs to the end;
- ``word*`` matches words that begin with it (three letters or more);
- the last word, when ``prefix_last`` and it has four to six letters, matches as a beginning
  too, so results come while typing ("deplo" finds "deployment"). A longer last word is
  taken as typed: stemming already finds its other forms ("deployments" finds "deployed"),
  and a beginning shared by many words costs a merge of all of them at query time, which
  SQLite's index has ready-made for beginnings of four to six letters only.
"""

import re
import unicodedata
from dataclasses import dataclass

MAX_QUERY = 200
MAX_TERMS = 8
MAX_PHRASE_WORDS = 8
MAX_WORD = 50
MIN_PREFIX = 3
LAST_PREFIX = range(4, 7)  # lengths of a last word that is also matched as a beginning

_WORD = re.compile(r"[^\W_]+")
_TOKEN = re.compile(r'"(?P<phrase>[^"]*)"?|(?P<word>[^\W_]+)(?P<star>\*)?')


@dataclass(frozen=True)
class Term:
    """One thing that must match: a word, a phrase (several words) or a word's beginning."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    """The terms of one query, all of which must match."""

    terms: tuple[Term, ...]

    def __bool__(self) -> bool:
        return bool(self.terms)

    def fts5(self, column: str = "") -> str:
        """The query in SQLite FTS5 syntax, every word quoted; ``column`` limits it to one column."""
        phrases = " ".join(
            '"' + " ".join(t.words) + '"' + (" *" if t.prefix else "") for t in self.terms
        )
        return f"{column} : ({phrases})" if column else phrases

    def tsquery(self) -> str:
        """The query in PostgreSQL ``to_tsquery`` syntax, every word quoted."""
        parts = []
        for t in self.terms:
            quoted = [f"'{w}'" for w in t.words]
            if t.prefix:
                quoted[-1] += ":*"
            parts.append(quoted[0] if len(quoted) == 1 else "(" + " <-> ".join(quoted) + ")")
        return " & ".join(parts)


def _words(text: str) -> tuple[str, ...]:
    return tuple(w[:MAX_WORD] for w in _WORD.findall(text))


def parse_query(raw: str, *, prefix_last: bool = True) -> ParsedQuery:
    """Read a search box's text into terms (at most eight; nothing typed is an error)."""
    text = unicodedata.normalize("NFKC", raw)[:MAX_QUERY].lower()
    terms: list[Term] = []
    for match in _TOKEN.finditer(text):
        if match.group("word"):
            word = match.group("word")[:MAX_WORD]
            star = bool(match.group("star")) and len(word) >= MIN_PREFIX
            terms.append(Term((word,), prefix=star))
        else:
            words = _words(match.group("phrase") or "")[:MAX_PHRASE_WORDS]
            if words:
                # A quoted single word is that word, matched exactly.
                terms.append(Term(words))
    terms = list(dict.fromkeys(terms))[:MAX_TERMS]
    if prefix_last and terms:
        last = terms[-1]
        bare_word = len(last.words) == 1 and not text.rstrip().endswith('"')
        if bare_word and not last.prefix and len(last.words[0]) in LAST_PREFIX:
            terms[-1] = Term(last.words, prefix=True)
    return ParsedQuery(tuple(terms))
