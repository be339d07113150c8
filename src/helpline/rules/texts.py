"""Built-in wording for everything the bot and the desk say, per language.

config.yaml `texts:` overrides any entry per language with the same {placeholders};
Config.text() falls back to these, so a rulebook need not spell out every message.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

BUILTIN_TEXTS: Mapping[str, Mapping[str, str]] = MappingProxyType({
    # the bot
    "greeting": {
        "en": "Hi! I'm the help bot. What can I help you with?",
        "ko": '안녕하세요! 고객센터 챗봇이에요. 무엇을 도와드릴까요?',
    },
    "greeting_named": {
        "en": "Hi {name}! I'm the help bot. What can I help you with?",
        "ko": '{name}님, 안녕하세요! 고객센터 챗봇이에요. 무엇을 도와드릴까요?',
    },
    "clarify": {
        "en": 'Did you mean one of these?',
        "ko": '혹시 이런 내용을 찾으시나요?',
    },
    "none_of_these_button": {
        "en": 'None of these',
        "ko": '찾는 내용이 없어요',
    },
    "none_of_these": {
        "en": "Sorry, I guessed wrong. Could you tell me in other words what you need? Or talk to a person.",
        "ko": '제가 잘못 짐작했네요, 죄송해요. 필요하신 내용을 다른 말로 알려 주시겠어요? 상담원과 이야기하셔도 돼요.',
    },
    "fallback": {
        "en": "Sorry, I didn't quite get that. Could you say it another way?",
        "ko": '죄송해요, 제가 잘 이해하지 못했어요. 조금 다르게 말씀해 주시겠어요?',
    },
    # instead of the fallback when the message names another company's product or a subject
    # the desk does not handle (config scope.not_ours); the topics follow it too
    "not_ours": {
        "en": "That sounds like a question for another company or service, and I can only answer questions about our own service.",
        "ko": '다른 회사나 서비스에 관한 문의 같아요. 저는 저희 서비스에 관한 문의만 도와드릴 수 있어요.',
    },
    # instead of the fallback when the message asks about us but not as a customer: jobs,
    # investors, the people who run the company, what to watch (config scope.not_answered)
    "not_answered": {
        "en": "That's not something I can answer here: I help with using our service.",
        "ko": '그 질문에는 여기서 답해 드릴 수 없어요. 저는 서비스 이용에 관한 문의를 도와드려요.',
    },
    # after the fallback: {topics} is a markdown list of the categories' labels, one a line
    # (category_<name> below)
    "fallback_topics": {
        "en": 'I can help with:\n{topics}',
        "ko": '이런 문의를 도와드릴 수 있어요.\n{topics}',
    },
    # a category's name where the bot lists what it can help with; an author adds
    # category_<name> for any other category (without one, the name itself is shown)
    "category_account": {
        "en": 'your account and signing in',
        "ko": '계정과 로그인',
    },
    "category_billing": {
        "en": 'payments, plans and refunds',
        "ko": '결제, 요금제, 환불',
    },
    "category_technical": {
        "en": 'technical problems',
        "ko": '기술적인 문제',
    },
    "category_content": {
        "en": "what's available to watch",
        "ko": '볼 수 있는 콘텐츠',
    },
    # a file the customer sent without words, while the bot has the conversation
    "file_received": {
        "en": "I can't read files, but a person can. Tell me in words what you need, or show it to a person.",
        "ko": '챗봇은 파일을 읽지 못해요. 필요하신 내용을 글로 알려 주시거나 상담원에게 보여 주세요.',
    },
    "fallback_offer_human": {
        "en": "I don't seem to be helping. Would you like to talk to a person?",
        "ko": '제가 도움이 잘 안 되는 것 같아요. 상담원과 연결해 드릴까요?',
    },
    "offer_human_button": {
        "en": 'Talk to a person',
        "ko": '상담원 연결',
    },
    "handoff": {
        "en": "I'm handing you over to a person. They'll see everything we've talked about.",
        "ko": '상담원에게 연결해 드릴게요. 지금까지의 대화 내용은 상담원이 그대로 볼 수 있어요.',
    },
    "handoff_frustrated": {
        "en": "I'm really sorry for the trouble. Let me get a person for you right away.",
        "ko": '불편을 드려 정말 죄송해요. 바로 상담원에게 연결해 드릴게요.',
    },
    "queued_wait": {
        "en": "You're in line for a person, who will reply here shortly.",
        "ko": '상담원 연결을 기다리고 있어요. 곧 상담원이 답변드릴게요.',
    },
    # "how long?" while nobody can take the conversation (status offline)
    "offline_wait": {
        "en": "No one from our team can answer right now. Your question waits in line, and they'll answer here when they're back.",
        "ko": '지금은 답변드릴 수 있는 상담원이 없어요. 문의는 순서대로 대기 중이고, 상담원이 돌아오면 이곳에서 답변드릴게요.',
    },
    "feedback_thanks": {
        "en": 'Glad that helped!',
        "ko": '도움이 되었다니 다행이에요!',
    },
    "feedback_sorry": {
        "en": "Sorry that didn't help. You can ask another way, or talk to a person.",
        "ko": '도움이 되지 못해 죄송해요. 다르게 질문해 주시거나 상담원과 이야기해 보세요.',
    },
    # custom actions
    "action_failed": {
        "en": "Sorry, I couldn't look that up just now. Please try again in a moment.",
        "ko": '죄송해요, 지금은 확인이 어려워요. 잠시 후 다시 시도해 주세요.',
    },
    # the live-agent desk
    "offline_closed": {
        "en": "Our team is away right now and back {when}. Leave your email and we'll answer there, or stay here: your question waits in line for them.",
        "ko": '지금은 상담 시간이 아니에요. {when}에 다시 상담이 시작돼요. 이메일을 남겨 주시면 답변을 보내 드리고, 이곳에서 기다리셔도 순서대로 연결해 드려요.',
    },
    "offline_nobody": {
        "en": "No one from our team is available right now. Leave your email and we'll answer there, or stay here: your question waits in line.",
        "ko": '지금은 연결 가능한 상담원이 없어요. 이메일을 남겨 주시면 답변을 보내 드리고, 이곳에서 기다리셔도 순서대로 연결해 드려요.',
    },
    # the same, where no email can be sent (no SMTP server is set up)
    "offline_closed_no_email": {
        "en": "Our team is away right now and back {when}. Your question waits in line for them: they'll answer here then.",
        "ko": '지금은 상담 시간이 아니에요. {when}에 다시 상담이 시작돼요. 문의는 순서대로 대기 중이고, 그때 이곳에서 답변드릴게요.',
    },
    "offline_nobody_no_email": {
        "en": "No one from our team is available right now. Your question waits in line: stay here, or come back to this chat later.",
        "ko": '지금은 연결 가능한 상담원이 없어요. 문의는 순서대로 대기 중이에요. 이곳에서 기다리시거나 나중에 이 채팅으로 다시 와 주세요.',
    },
    "long_wait": {
        "en": "Everyone is busy: the wait is about {minutes} min. You can leave your email instead and we'll answer there.",
        "ko": '상담원이 모두 상담 중이라 약 {minutes}분 기다리셔야 해요. 이메일을 남겨 주시면 답변을 보내 드릴게요.',
    },
    "long_wait_no_email": {
        "en": "Everyone is busy: the wait is about {minutes} min. Your question keeps its place in line.",
        "ko": '상담원이 모두 상담 중이라 약 {minutes}분 기다리셔야 해요. 문의는 대기 순서를 그대로 유지해요.',
    },
    "queue_position": {
        "en": "You're number {position} in line; the expected wait is about {minutes} min.",
        "ko": '대기 순서는 {position}번째이고, 예상 대기 시간은 약 {minutes}분이에요.',
    },
    "queue_position_unknown": {
        "en": "You're number {position} in line. No one is available right now, so we can't say how long it will be.",
        "ko": '대기 순서는 {position}번째예요. 지금은 연결 가능한 상담원이 없어 대기 시간을 알 수 없어요.',
    },
    "handback": {
        "en": "You're back with the bot. Ask me anything, or ask for a person again.",
        "ko": '다시 챗봇이 도와드릴게요. 궁금한 점을 물어보시거나 다시 상담원을 요청하세요.',
    },
    "csat": {
        "en": 'How did we do? Rate this conversation from 1 to 5.',
        "ko": '상담은 만족스러우셨나요? 1점부터 5점까지 평가해 주세요.',
    },
    # email
    "email_saved": {
        "en": "Thanks! We'll email you at {email} when a person replies.",
        "ko": '감사합니다! 상담원이 답변하면 {email}(으)로 이메일을 보내 드릴게요.',
    },
    "reply_email_subject": {
        "en": '{agent} replied to your support request',
        "ko": '{agent} 상담원이 문의에 답변했어요',
    },
    "reply_email_greeting": {
        "en": 'Hello,',
        "ko": '안녕하세요.',
    },
    "reply_email_greeting_named": {
        "en": 'Hello {name},',
        "ko": '{name}님, 안녕하세요.',
    },
    "reply_email_body": {
        "en": '{greeting}\n\n{agent} replied to your message:\n\n{reply}\n\nThis reply is also in the chat on our site: open the chat to read it there or to answer.\n',
        "ko": '{greeting}\n\n{agent} 상담원의 답변입니다.\n\n{reply}\n\n이 답변은 사이트의 채팅 창에도 있어요. 채팅 창을 열어 확인하시거나 이어서 답장하실 수 있어요.\n',
    },
})  # fmt: skip
