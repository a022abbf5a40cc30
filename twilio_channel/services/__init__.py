"""The Twilio channel's writes: contacts (opt-out, the WhatsApp window), outbound sends and the
statuses Twilio reports for them."""
