"""URL table of the node."""

from __future__ import annotations

from aiohttp import web

from helpline.web.agent_ws import agent_ws
from helpline.web.alerts import setup_alerts
from helpline.web.attachments import setup_attachments
from helpline.web.auth import setup_auth
from helpline.web.canned import setup_canned
from helpline.web.conversations import setup_conversations
from helpline.web.customer_ws import customer_ws
from helpline.web.customers import setup_customers
from helpline.web.health import healthz
from helpline.web.inbox import setup_inbox
from helpline.web.login import login, logout, me
from helpline.web.metrics_route import metrics
from helpline.web.rasa_rest import rest_webhook
from helpline.web.reports import report_conversations, report_transcript, reports
from helpline.web.team import setup_team
from helpline.web.tickets import setup_tickets
from helpline.web.widget import (
    console_page,
    demo_page,
    reports_page,
    vendor_file,
    widget_file,
    widget_script,
)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/ws/customer", customer_ws)
    app.router.add_get("/ws/agent", agent_ws)
    app.router.add_post("/webhooks/rest/webhook", rest_webhook)  # Rasa's REST channel
    app.router.add_get("/", demo_page)
    app.router.add_get("/console", console_page)
    app.router.add_get("/console/reports", reports_page)  # supervisors: the data API checks
    app.router.add_get("/widget.js", widget_script)
    app.router.add_get("/widget/{name}", widget_file)
    app.router.add_get("/widget/vendor/{name}", vendor_file)  # pinned libraries, same origin
    setup_auth(app)  # the guard on /api/agent/* and /ws/agent, login state
    app.router.add_post("/api/agent/login", login)
    app.router.add_post("/api/agent/logout", logout)
    app.router.add_get("/api/agent/me", me)
    app.router.add_get("/api/reports", reports)  # supervisors only, checked by the handler
    app.router.add_get("/api/reports/conversations", report_conversations)
    app.router.add_get("/api/reports/conversations/{conversation}", report_transcript)
    app.router.add_get("/metrics", metrics)
    setup_inbox(app)  # /api/inbox: authors and supervisors
    setup_alerts(app)  # /api/alerts, /api/incidents: notices posted by supervisors
    setup_conversations(app)  # /api/conversations and /console/conversations: agents
    setup_customers(app)  # /api/customers and /console/customers: agents
    setup_tickets(app)  # /api/tickets: agents their teams', supervisors all; SLA breach check
    setup_canned(app)  # /api/canned: agents read, supervisors write; /console/canned
    setup_team(app)  # /api/agents, /api/teams and /console/team: supervisors
    setup_attachments(app)  # files: /customer/attachments (widget token), /api/ (agents)
