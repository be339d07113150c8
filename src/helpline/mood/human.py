"""Explicit requests for a person ("상담원 연결", "talk to a human"), told apart from small talk."""

from __future__ import annotations

import re
import string
from functools import cache

from helpline.mood.cues import Surface

_EN_NOUN = (
    r"(?:(?:real|live|actual|physical|human)\s+)?"
    r"(?:humans?|person|agents?|representatives?|reps?|operators?|someone|somebody|anyone"
    r"|managers?|supervisors?|staff|employees?|human\s+beings?|(?:real|actual)\s+people"
    r"|customer\s+(?:service|support|care)|support\s+(?:team|staff)|live\s+(?:chat|support)"
    r"|call\s+cent(?:er|re))"
)
_EN_VERB = (
    r"(?:talk|talking|speak|speaking|chat|connect|transfer|put|get|give|gimme|want|wanna|need"
    r"|let\s+me|reach|contact|escalate|switch|pass|hand|send|bring|find|(?:would|i'd|id)\s+like)"
)
_EN_ASK = re.compile(rf"\b{_EN_VERB}\b[^.,;!?]{{0,25}}?\b{_EN_NOUN}\b")
_EN_PLEASE = re.compile(rf"\b{_EN_NOUN}\s+(?:please|pls|plz|now|asap|right\s+now)\b")
_EN_CALL = re.compile(r"\b(?:call\s+me|phone\s+me|give\s+me\s+a\s+call|call\s*back)\b")
_EN_STRONG = re.compile(
    r"\b(?:humans?|agents?|representatives?|reps?|operators?|real\s+person|live\s+person"
    r"|customer\s+(?:service|support|care)|live\s+(?:chat|support))\b"
)
# Phrases that name a person without asking for one: identity questions, comparisons,
# and compounds ("human resources", "travel agent", "password manager").
_EN_NOT_ASKING = re.compile(
    r"\b(?:(?:are|r)\s+(?:you|u|ya)|is\s+this|am\s+i\s+(?:talking|speaking|chatting)\s+(?:to|with)"
    r"|you(?:'re|\s+are|\s+r)?|what\s+are\s+you|(?:sound|talk|act|look|seem|write|just)s?\s+like"
    r"|as|than)\s+(?:even\s+)?(?:a\s+|an\s+)?"
    rf"(?:real\s+|actual\s+|live\s+)?(?:bot|robot|ai|{_EN_NOUN})\b"
    r"|\bwhat\s+are\s+you\b"
    r"|\bhuman\s+(?:resources|rights|error|nature|race|body)\b"
    r"|\b(?:travel|insurance|secret|user|free|estate|booking)\s+agents?\b"
    r"|\b(?:password|download|account|profile)\s+manager\b"
)

_KO_NOUN = (
    r"(?:상담원|상담사|상담직원|상담원님|상담사님|상담원분|직원|직원분|담당자|매니저|콜센터"
    r"|고객센터|실제사람|진짜사람|사람|인간|상담언|상당원|상담웡|상담운|상담월|상닫원|삼담원"
    r"|상담워|상담)"
)
_KO_PARTICLE = r"(?:이랑|하고|과|와|한테|에게|께|이|을|를|으로|로|님|분|좀|이나|랑)*"
_KO_ACT = (
    r"(?:바꿔|바꾸|연결|통화|얘기|이야기|애기|예기|대화|상담|불러|부르|말하|말좀|넘겨|돌려"
    r"|붙여|받고|받을|받고싶|하고싶|신청|요청|부탁)"
)
_KO_ASK = re.compile(rf"{_KO_NOUN}{_KO_PARTICLE}{_KO_ACT}")
_KO_PHONE = re.compile(r"전화(?:로|상으로)?(?:연결|상담|통화|해주|해줘|주세요|줘|받고|부탁|요청)")
_KO_STRONG = re.compile(r"상담원|상담사|상담직원|담당자|콜센터|상담언|상당원|상담웡|상닫원|삼담원")
_KO_WANT = re.compile(
    rf"{_KO_STRONG.pattern}(?:이|님|분)?(?:있나|있어|없나|없어|계세요|계신|원해|주세요|줘)"
)
_KO_IDENTITY = re.compile(
    r"(?:사람|인간|상담원|상담사|직원|로봇|봇|기계)"
    r"(?:이야|이에요|예요|이세요|세요|인가|이냐|이니|임|이지|이죠|이신|맞아|맞나|맞죠|맞냐|맞지"
    r"|같아|같네|같다|같은|처럼|이라고|인지|아니야|아니지|아니에요|이랑똑같)"
)

# "사람이랑 대화하는 거예요?" asks who is answering now, not for a person: the "talking"
# is going on already (하는 거예요, 중인가요), where a request wants it (하고 싶어요, 해주세요).
_KO_TALKING_NOW = re.compile(
    rf"{_KO_NOUN}{_KO_PARTICLE}(?:대화|얘기|이야기|채팅)"
    r"(?:하는(?:거|건|게)(?:예요|에요|야|가요|인가|임|맞|이야|죠|냐|지)|중인|중이|중임|하고있)"
)


# "봇 말고 진짜 사람", "챗봇 말고요": not the bot is a request for a person.
_KO_NOT_BOT = re.compile(r"(?:챗봇|봇|로봇|기계|자동응답)말고(?!도|는)")


def wants_human(found: Surface) -> bool:
    """An explicit request for a person in Korean or English, typos included."""
    return _korean_asks(found.hangul) or _english_asks(found)


def _korean_asks(hangul: str) -> bool:
    if not hangul:
        return False
    hangul = _KO_TALKING_NOW.sub(" ", hangul)
    if _KO_ASK.search(hangul) or _KO_PHONE.search(hangul) or _KO_NOT_BOT.search(hangul):
        return True
    return bool(_KO_WANT.search(hangul) or _KO_STRONG.search(hangul)) and not (
        _KO_IDENTITY.search(hangul)
    )


def _english_asks(found: Surface) -> bool:
    if not found.words:
        return False
    text = " ".join(_typos().get(w, w) for w in found.words)
    rest = _EN_NOT_ASKING.sub(" ", text)
    if _EN_ASK.search(rest) or _EN_PLEASE.search(rest) or _EN_CALL.search(rest):
        return True
    # A bare "agent" / "human pls": short, and not a question about what the bot is.
    return len(found.words) <= 4 and rest == text and bool(_EN_STRONG.search(text))


@cache
def _typos() -> dict[str, str]:
    """Every one-edit misspelling of the words that name a person, mapped to the word."""
    words = (
        "human",
        "agent",
        "person",
        "operator",
        "representative",
        "supervisor",
        "someone",
        "somebody",
        "customer",
        "connect",
        "transfer",
    )
    table: dict[str, str] = {}
    for word in words:
        for typo in _one_edit(word):
            table.setdefault(typo, word)
    for word in words:
        table[word] = word
    return table


def _one_edit(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    letters = string.ascii_lowercase
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    subs = {a + c + b[1:] for a, b in splits if b for c in letters}
    inserts = {a + c + b for a, b in splits for c in letters}
    return deletes | swaps | subs | inserts
