"""What a person typed, read as words, phrases and prefixes, and written out for each engine.

Nothing typed is passed to an engine's query syntax as it is: the words are taken out
(letters and digits only) and written back quoted, so operators such as ``OR``, ``NEAR(``,
``-`` or a stray quote are just words or nothing, and no input makes a query fail.

- ``word`` must appear (all words must, in any order and any column);
- ``"two words"`` must appear as a phrase; an unclosed quote runs to the end;
- ``word*`` matches words that begin with it (three letters or more);
- the last word, when ``prefix_last``, also matches as a beginning, so results come while
  typing ("deplo" finds "deployment"): whole if it has four to six letters, else by its
  first six ("architectu" finds "architecture" through "archit"). SQLite's index keeps
  beginnings of four to six letters ready-made; any other beginning shared by many words
  costs a merge of all of them at query time.
"""

import re
import unicodedata
from dataclasses import dataclass

MAX_QUERY = 200
MAX_TERMS = 8
MAX_PHRASE_WORDS = 8
MAX_WORD = 50
MIN_PREFIX = 3
LAST_PREFIX = range(4, 7)  # lengths of a last word matched as a beginning as it is
BEGINNING = 6  # a longer last word is also matched by a beginning this long

_WORD = re.compile(r"[^\W_]+")
_TOKEN = re.compile(r'"(?P<phrase>[^"]*)"?|(?P<word>[^\W_]+)(?P<star>\*)?')


@dataclass(frozen=True)
class Term:
    """One thing that must match: a word, a phrase (several words) or a word's beginning."""

    words: tuple[str, ...]
    prefix: bool = False
    # Or, instead: a word beginning with this (for a long last word being typed).
    beginning: str = ""

    def fts5(self) -> str:
        phrase = '"' + " ".join(self.words) + '"' + (" *" if self.prefix else "")
        return f'({phrase} OR "{self.beginning}" *)' if self.beginning else phrase

    def tsquery(self) -> str:
        quoted = [f"'{w}'" for w in self.words]
        if self.prefix:
            quoted[-1] += ":*"
        part = quoted[0] if len(quoted) == 1 else "(" + " <-> ".join(quoted) + ")"
        return f"({part} | '{self.beginning}':*)" if self.beginning else part


@dataclass(frozen=True)
class ParsedQuery:
    """The terms of one query, all of which must match."""

    terms: tuple[Term, ...]

    def __bool__(self) -> bool:
        return bool(self.terms)

    def fts5(self, column: str = "") -> str:
        """The query in SQLite FTS5 syntax, every word quoted; ``column`` limits it to one column."""
        terms = " AND ".join(t.fts5() for t in self.terms)
        return f"{column} : ({terms})" if column else terms

    def tsquery(self) -> str:
        """The query in PostgreSQL ``to_tsquery`` syntax, every word quoted."""
        return " & ".join(t.tsquery() for t in self.terms)


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
        word = last.words[0]
        if bare_word and not last.prefix and len(word) in LAST_PREFIX:
            terms[-1] = Term(last.words, prefix=True)
        elif bare_word and not last.prefix and len(word) > BEGINNING:
            terms[-1] = Term(last.words, beginning=word[:BEGINNING])
    return ParsedQuery(tuple(terms))
