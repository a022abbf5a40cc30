"""Staff insights (issue 27): how the assistant is doing, per UTC day and channel, read from the
messages (messaging), the AI spend (orchestrator) and the channels (inbox).

It lives in the inbox because the inbox is the channel-neutral floor that already sits above
messaging and the orchestrator; the staff API and the panel tab (twilio_channel, which owns every
staff page and `/api/*` route) call it. Every number is aggregated in the database (GROUP BY the
database's own date truncation, percentiles in SQL), so the work per request grows with the number
of days and channels, never with Python work per message.

`period` parses and bounds the range, `daily` counts and costs, `latency` the time to the first
reply, `report` puts them together with the top conversations and today's budget use."""
