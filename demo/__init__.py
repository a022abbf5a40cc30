"""Demo mode (`./scripts/run.sh --demo`): a local OpenAI-compatible demo model and a local Twilio
stand-in, so the project runs end to end with no account anywhere. The tests reuse the same
servers (tests/fakes/) with scripted answers."""
