"""Every object the app shares, each under one typed AppKey."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from helpline.bus.base import Bus
from helpline.client_address import Network
from helpline.service.alert.incident import IncidentBoard
from helpline.service.alert.watch import SpikeWatcher
from helpline.service.conversation import ConversationService
from helpline.service.handoff.actions import AgentDesk
from helpline.service.handoff.canned_library import CannedLibrary
from helpline.service.handoff.service import HandoffService
from helpline.service.inbox import InboxService
from helpline.service.mail import Mailer
from helpline.service.rules_holder import RulesHolder
from helpline.service.sla.tickets import TicketDesk
from helpline.service.sla.watch import BreachWatch
from helpline.settings import Settings
from helpline.store.base import Store
from helpline.web.admission import Admission
from helpline.web.attempts import FailedAttempts
from helpline.web.auth_settings import AuthSettings, AuthState
from helpline.web.metrics import NodeMetrics
from helpline.web.socket_watch import SocketWatch

Clock = Callable[[], float]

SETTINGS = web.AppKey("settings", Settings)
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
STORE = web.AppKey("store", Store)
BUS = web.AppKey("bus", Bus)
RULES = web.AppKey("rules", RulesHolder)
CONVERSATIONS = web.AppKey("conversations", ConversationService)
SOCKETS = web.AppKey("sockets", SocketWatch)  # open sockets, their deadlines and heartbeats
HANDOFF = web.AppKey("handoff", HandoffService)  # the live-agent queue of this node
DESK = web.AppKey("desk", AgentDesk)  # what agents (and rating customers) do to conversations
MAILER = web.AppKey("mailer", Mailer)  # emails to customers (outbox + SMTP sender)
AUTH_SETTINGS: web.AppKey[AuthSettings] = web.AppKey("auth_settings")
AUTH: web.AppKey[AuthState] = web.AppKey("auth")  # built at start-up from AUTH_SETTINGS
TRUSTED_PROXIES: web.AppKey[tuple[Network, ...]] = web.AppKey("trusted_proxies")
METRICS = web.AppKey("metrics", NodeMetrics)  # this node's /metrics
INBOX = web.AppKey("inbox", InboxService)  # the unanswered inbox, for authors
SPIKES = web.AppKey("spikes", SpikeWatcher)  # this node's spike watcher
INCIDENTS = web.AppKey("incidents", IncidentBoard)  # the standing incident notices
ADMISSION = web.AppKey("admission", Admission)  # per-address socket and conversation counts
TICKETS = web.AppKey("tickets", TicketDesk)  # tickets with SLA due times, supervisors' changes
BREACH_WATCH = web.AppKey("breach_watch", BreachWatch)  # this node's SLA breach check
CANNED = web.AppKey("canned", CannedLibrary)  # this node's copy of the canned answers
UPLOADS = web.AppKey("uploads", FailedAttempts)  # customers' file uploads per client address
