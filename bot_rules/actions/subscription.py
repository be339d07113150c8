"""StreamFlix custom action: a customer's own plan and next billing date.

A rasa-sdk action, so it runs in Helpline (in-process) or on a Rasa action server unchanged.
The lookup table stands in for the billing system; a real deployment would call its API here
(with `async def run` and an async HTTP client, so the bot is never blocked).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

# customer id -> (plan, next billing date); the demo's stand-in for the billing system
SUBSCRIPTIONS = {
    "demo-1001": ("Premium", "2026-12-03"),
    "demo-1002": ("Standard with ads", "2026-12-15"),
    "demo-1003": ("Basic", "2026-12-28"),
}

PLAN_NAMES_KO = {"Premium": "프리미엄", "Standard with ads": "광고형 스탠다드", "Basic": "베이식"}

TEXTS = {
    "en": "You're on **{plan}**. Your next payment is on **{date}**. "
    "To move it, choose **Change billing date** under Account > Billing details.",
    "ko": "현재 **{plan}** 요금제를 이용 중이에요. 다음 결제일은 **{date}**이에요. "
    "날짜를 바꾸려면 계정 > 결제 상세에서 **결제일 변경**을 눌러 주세요.",
}

BUTTONS = {
    "en": [
        {"title": "Get a receipt", "payload": "/receipt_invoice"},
        {"title": "Change payment method", "payload": "/update_payment_method"},
    ],
    "ko": [
        {"title": "영수증 받기", "payload": "/receipt_invoice"},
        {"title": "결제 수단 변경", "payload": "/update_payment_method"},
    ],
}


class ActionCheckSubscription(Action):
    def name(self) -> str:
        return "action_check_subscription"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        customer = tracker.get_slot("customer_id") or tracker.sender_id
        found = SUBSCRIPTIONS.get(customer)
        if found is None:
            return []  # not a customer we know: the intent's general answer is sent instead
        plan, date = found
        language = "ko" if _language(tracker) == "ko" else "en"
        shown_plan = PLAN_NAMES_KO.get(plan, plan) if language == "ko" else plan
        dispatcher.utter_message(
            text=TEXTS[language].format(plan=shown_plan, date=date), buttons=BUTTONS[language]
        )
        return [SlotSet("plan", plan), SlotSet("next_billing_date", date)]


def _language(tracker: Tracker) -> str | None:
    metadata = tracker.latest_message.get("metadata") or {}
    language = metadata.get("language")
    return language if isinstance(language, str) else None
