# Twilio's statuses of an outbound message by rank: a callback never lowers
# the rank, and a terminal status is never left.
STATUS_RANKS = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 0,
    "sending": 1,
    "sent": 2,
    "delivered": 3,
    "read": 4,
}
TERMINAL_STATUSES = frozenset({"failed", "undelivered", "canceled"})
