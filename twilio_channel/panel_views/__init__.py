"""The staff panel over the Twilio channel, one module per page: the dashboard at `/` with its tabs
(messages, auto-reply, AI, handoff inbox, phone simulator), the chat view `/chat/<participant>` and
the handoff pages; `access` holds the staff and superuser gates, `shared` what the pages share.
Staff only. Each view parses a form, calls the same service or selector as the staff API (never the
API over HTTP), and renders; a refusal is shown in words on the page."""
