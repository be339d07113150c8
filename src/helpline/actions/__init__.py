"""Custom actions in rasa-sdk's format: run in-process or on a Rasa action server."""

from __future__ import annotations

from helpline.actions.base import ActionCall, ActionMessage, ActionResult, ActionRunner
from helpline.actions.inprocess import InProcessRunner
from helpline.actions.remote import RemoteRunner
from helpline.actions.step import ActionStep, call_for, step_for

__all__ = [
    "ActionCall",
    "ActionMessage",
    "ActionResult",
    "ActionRunner",
    "ActionStep",
    "InProcessRunner",
    "RemoteRunner",
    "call_for",
    "step_for",
]
