"""The Twilio channel (SMS, WhatsApp): credentials, sends and their leases, the inbound reconcile,
limits, message parts, and what a stranger's message gets."""

from config.env import bool_alias, int_alias, str_alias

# Without credentials the app boots and every send is refused with "Twilio is not configured.".
TWILIO_ACCOUNT_SID = str_alias("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = str_alias("TWILIO_AUTH_TOKEN", default="")
TWILIO_DEFAULT_FROM = str_alias("TWILIO_DEFAULT_FROM", "TWILIO_PHONE_NUMBER", default="")
TWILIO_MESSAGING_SERVICE_SID = str_alias("TWILIO_MESSAGING_SERVICE_SID", default="")
TWILIO_REPLY_VIA_MESSAGING_SERVICE = bool_alias("TWILIO_REPLY_VIA_MESSAGING_SERVICE", default=False)
TWILIO_VALIDATE_SIGNATURE = bool_alias("TWILIO_VALIDATE_SIGNATURE", default=True)
TWILIO_API_BASE_URL = str_alias("TWILIO_API_BASE_URL", default="").rstrip("/")  # a local stand-in only
TWILIO_HTTP_TIMEOUT_S = float(str_alias("TWILIO_HTTP_TIMEOUT_S", default="10"))
TWILIO_KNOWN_USER_AI = bool_alias("TWILIO_KNOWN_USER_AI", default=True)
TWILIO_SYNC_MIN_INTERVAL_S = int_alias("TWILIO_SYNC_MIN_INTERVAL_S", default=10)
PUBLIC_BASE_URL = str_alias("PUBLIC_BASE_URL", default="").rstrip("/")
WHATSAPP_FALLBACK_CONTENT_SID = str_alias("WHATSAPP_FALLBACK_CONTENT_SID", default="")
# Sends retried after a transient Twilio error (429, 5xx, network): backoff doubles from 2 s with
# jitter, capped well below the broker's visibility timeout.
TWILIO_SEND_MAX_RETRIES = 3
TWILIO_SEND_BACKOFF_MAX_S = 60
# The inbound reconcile (beat, every TWILIO_INBOUND_RECONCILE_INTERVAL_S) lists Twilio's messages of
# the last TWILIO_INBOUND_RECONCILE_WINDOW_S, at most TWILIO_INBOUND_RECONCILE_LIMIT of them (inbound
# and outbound), and runs every inbound one never stored here through the webhook's pipeline.
TWILIO_INBOUND_RECONCILE_WINDOW_S = int_alias("TWILIO_INBOUND_RECONCILE_WINDOW_S", default=300)
TWILIO_INBOUND_RECONCILE_LIMIT = int_alias("TWILIO_INBOUND_RECONCILE_LIMIT", default=200)
# Outbound rows left queued this long (a lost task, the broker down; a retry waits at most
# TWILIO_SEND_BACKOFF_MAX_S) are sent again by the sweeper. A `sending` one goes by its lease above.
TWILIO_STALE_SEND_AFTER_S = 120
# Staff sends (API, panel, command line) to one recipient number, per minute, counted in the shared
# cache across processes (10 a minute).
TWILIO_SENDS_PER_RECIPIENT_PER_MINUTE = int_alias("TWILIO_SENDS_PER_RECIPIENT_PER_MINUTE", default=10)
# The loop breaker (issues 22 and 27): messages per contact (an address on a channel) answered
# automatically (AI, auto-reply, chat engine) in a sliding window, and the same text this many times in a row (0: off);
# past either, what the contact sends is stored unanswered and the conversation handed to staff.
AUTO_REPLY_LIMIT_PER_CONTACT = int_alias("AUTO_REPLY_LIMIT_PER_CONTACT", default=20)
AUTO_REPLY_LIMIT_WINDOW_S = int_alias("AUTO_REPLY_LIMIT_WINDOW_S", default=600)
LOOP_REPEAT_LIMIT = int_alias("LOOP_REPEAT_LIMIT", default=3)
# A message longer than its channel takes (Twilio: 1,600 characters on SMS, 4,096 on WhatsApp) is
# sent as numbered parts, in order; past TWILIO_MAX_PARTS parts the text is cut with "…".
TWILIO_SMS_MAX_CHARS = int_alias("TWILIO_SMS_MAX_CHARS", default=1600)
TWILIO_WHATSAPP_MAX_CHARS = int_alias("TWILIO_WHATSAPP_MAX_CHARS", default=4096)
TWILIO_MAX_PARTS = int_alias("TWILIO_MAX_PARTS", default=10)

# A send holds its delivery's claim for TWILIO_SEND_LEASE_S, renewed every quarter of that while it
# runs; a dead worker's claim lapses within TWILIO_SEND_LEASE_S and the sweeper (every
# TWILIO_SEND_SWEEP_INTERVAL_S) reconciles it with Twilio and sends it only if Twilio never got it:
# recovery within TWILIO_SEND_LEASE_S + TWILIO_SEND_SWEEP_INTERVAL_S (35 s).
TWILIO_SEND_LEASE_S = float(str_alias("TWILIO_SEND_LEASE_S", default="25"))
TWILIO_SEND_SWEEP_INTERVAL_S = float(str_alias("TWILIO_SEND_SWEEP_INTERVAL_S", default="15"))
# How often beat looks for inbound messages whose webhook never reached us (see the reconcile window below).
TWILIO_INBOUND_RECONCILE_INTERVAL_S = float(str_alias("TWILIO_INBOUND_RECONCILE_INTERVAL_S", default="60"))

# What a stranger's SMS or WhatsApp message gets with the AI and the auto-reply off: none | chat (the
# chat engine) | text (UNKNOWN_CONTACT_REPLY_TEXT). Unset: chat only with a local Twilio stand-in.
UNKNOWN_CONTACT_REPLY = str_alias("UNKNOWN_CONTACT_REPLY", default="")
UNKNOWN_CONTACT_REPLY_TEXT = str_alias("UNKNOWN_CONTACT_REPLY_TEXT", default="")
