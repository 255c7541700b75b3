"""Short ids (`euaia:art-9`, `ctrl:CHM-002`) and the IRIs crossgate mints for them.

A short id is `prefix:local`. Its IRI is ID_BASE + prefix + "/" + local, with the local part
percent-encoded where it holds characters an IRI path may not, so the mapping is reversible and
any prefix an import brings (say `nist-ai-rmf:GOVERN-1.1`) gets an IRI without configuration.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

ID_BASE = "https://w3id.org/crossgate/id/"
SHORT_ID = re.compile(r"^(?P<prefix>[a-z][a-z0-9-]*):(?P<local>\S(?:.*\S)?)$")
_SAFE = "-._~()!$&'*+,;=@"

class BadShortId(ValueError):
    pass


def is_short_id(text: str) -> bool:
    return bool(SHORT_ID.match(text))


def to_iri(short_id: str) -> str:
    match = SHORT_ID.match(short_id.strip())
    if not match:
        raise BadShortId(f"not a short id of the form prefix:local: {short_id!r}")
    return ID_BASE + match["prefix"] + "/" + quote(match["local"], safe=_SAFE)


def to_short_id(iri: str) -> str:
    if not iri.startswith(ID_BASE):
        raise BadShortId(f"not a crossgate IRI: {iri!r}")
    prefix, sep, local = iri[len(ID_BASE) :].partition("/")
    if not sep or not local:
        raise BadShortId(f"not a crossgate IRI: {iri!r}")
    return f"{prefix}:{unquote(local)}"


def try_short_id(iri: str) -> str:
    """The short id of a crossgate IRI, or the IRI itself for anything else."""
    try:
        return to_short_id(iri)
    except BadShortId:
        return iri
