"""The AI assistant: the bot, the LLM, the AIConfig row's environment values, the turns' leases
and sweeps, and the chat engine."""

from config.env import bool_alias, env, first_set, int_alias, optional_bool, str_alias

# --- Project switches -------------------------------------------------------------------------
# Set by `devserver --demo` for every process it starts (a demo model and a Twilio stand-in on this
# machine); other settings may default differently in it. Refused by the production settings.
DEMO_MODE = bool_alias("DEMO_MODE", default=False)
AI_BOT_USER_ID = int_alias("AI_BOT_USER_ID", default=-1)
AI_BOT_DISPLAY_NAME = str_alias("AI_BOT_DISPLAY_NAME", default="AI Assistant")
CHAT_HISTORY_MAX = int_alias("CHAT_HISTORY_MAX", default=50)
# What answers a message to the bot: messaging stores it, this object queues or runs the AI turn.
MESSAGING_BOT_RESPONDER = "orchestrator.responder.responder"
# What sends a reply to a message that came from outside: the inbox, over the message's channel.
MESSAGING_EXTERNAL_REPLIER = "inbox.services.replies.replier"
LIST_LIMIT_DEFAULT = 100
LIST_LIMIT_MAX = 500

# --- AI orchestrator --------------------------------------------------------------------------
# AI is configured when a key or a base URL is set; otherwise the chat engine answers.
# The `orchestrator.AIConfig` row (panel, admin) overrides key, model, temperature and system prompt
# where it sets them; where it leaves them empty these apply.
LITELLM_API_KEY = str_alias("LITELLM_API_KEY", "OPENAI_API_KEY", default="")
LITELLM_MODEL = str_alias("LITELLM_MODEL", "OPENAI_MODEL", default="gpt-3.5-turbo-1106")  # the one model setting
LITELLM_BASEURL = str_alias("LITELLM_BASEURL", default="")
# The provider prefixes a model may have (`anthropic/claude-...`); a bare name (`gpt-4o`) needs
# none. Routes that take their host from the model string (oobabooga, ...) never belong here: the
# base URL comes from LITELLM_BASEURL alone. hosted_vllm is the LITELLM_BASEURL route.
AI_MODEL_PROVIDERS = [name.strip() for name in env.list(
    "AI_MODEL_PROVIDERS",
    default=[
        "openai", "azure", "anthropic", "gemini", "vertex_ai", "bedrock", "mistral", "groq", "cohere",
        "deepseek", "xai", "together_ai", "fireworks_ai", "openrouter", "perplexity", "hosted_vllm",
    ],
) if name.strip()]  # fmt: skip
AI_LLM_TEMPERATURE = float(str_alias("AI_LLM_TEMPERATURE", "OPENAI_TEMPERATURE", default="0.7"))
AI_LLM_TIMEOUT_S = float(str_alias("AI_LLM_TIMEOUT_S", default="60"))  # one LLM request
AI_LLM_RETRIES = int_alias("AI_LLM_RETRIES", default=2)  # bounded retries of a transient LLM error
AI_LLM_RETRY_BACKOFF_S = float(str_alias("AI_LLM_RETRY_BACKOFF_S", default="0.5"))  # doubles per retry
AI_SYNC_TIMEOUT_S = float(str_alias("AI_SYNC_TIMEOUT_S", default="60"))  # the whole blocking turn (M11)
AI_AGENT_STICKY_MINUTES = int_alias("AI_AGENT_STICKY_MINUTES", default=10)
# A user message longer than this is cut before it goes to the LLM (logged), so one huge SMS or
# web message cannot make a huge prompt; the stored message keeps all of it.
AI_INPUT_MAX_CHARS = int_alias("AI_INPUT_MAX_CHARS", default=8000)
# --- AI spend caps (orchestrator.pricing, orchestrator.services.spend) ---
# Amounts in USD, the currency of litellm's price map. The two prices (per 1,000 tokens) price
# every call when either is set (the other then counts as 0), overriding the map: a local model's
# price, or a negotiated one. Unset: the map's price for a known model, no cost for an unknown one.
AI_PRICE_PER_1K_INPUT_TOKENS = first_set("AI_PRICE_PER_1K_INPUT_TOKENS")
AI_PRICE_PER_1K_OUTPUT_TOKENS = first_set("AI_PRICE_PER_1K_OUTPUT_TOKENS")
# Daily caps (UTC days) per contact and for all turns together; unset = no cap.
AI_CONTACT_DAILY_BUDGET = first_set("AI_CONTACT_DAILY_BUDGET")
AI_DAILY_BUDGET = first_set("AI_DAILY_BUDGET")
# When a cap is spent: "fallback" answers with the AI's fallback text, "handoff" hands the
# conversation to staff (human mode).
AI_BUDGET_EXHAUSTED_ACTION = str_alias("AI_BUDGET_EXHAUSTED_ACTION", default="fallback")
# With a cap in force each LLM call asks for at most this many output tokens, so its cost has a ceiling.
AI_MAX_OUTPUT_TOKENS = int_alias("AI_MAX_OUTPUT_TOKENS", default=1024)
# The AIConfig API key is stored encrypted with a key derived from this, or from SECRET_KEY when it
# is unset. If it changes, a stored key reads as unset (with a warning) until it is entered again.
AI_CONFIG_ENCRYPTION_KEY = str_alias("AI_CONFIG_ENCRYPTION_KEY", default="")
AI_CONFIG_CACHE_S = 5.0  # how long a process reuses the AIConfig row it read; a save in it clears it
# The environment's values for the AIConfig row: copied into it after `migrate` and by
# `manage.py bootstrap_ai_config` until the switch is managed in the panel or the admin
# (enabled_source "ui"). None = not set: only what is set is applied. The model and temperature
# count only when named in the environment, not as the defaults above. The API key is never copied:
# the row falls back to LITELLM_API_KEY at run time, so the secret stays in one place.
AI_ENABLED = optional_bool(first_set("AI_ENABLED"))
AI_TARGET_NUMBER = first_set("AI_TARGET_NUMBER")
AI_SYSTEM_PROMPT = first_set("AI_SYSTEM_PROMPT")
AI_ENV_MODEL = first_set("LITELLM_MODEL", "OPENAI_MODEL")
AI_ENV_TEMPERATURE = AI_LLM_TEMPERATURE if first_set("AI_LLM_TEMPERATURE", "OPENAI_TEMPERATURE") else None
AI_CONFIG_BOOTSTRAP_ON_MIGRATE = True
# A turn holds its conversation's lease for AI_LEASE_S and renews it every quarter of that while it
# runs; a dead worker's lease lapses within AI_LEASE_S and the sweeper (every AI_SWEEP_INTERVAL_S)
# hands its message to another worker: recovery within AI_LEASE_S + AI_SWEEP_INTERVAL_S.
AI_LEASE_S = float(str_alias("AI_LEASE_S", default="20"))
AI_SWEEP_INTERVAL_S = float(str_alias("AI_SWEEP_INTERVAL_S", default="15"))
AI_STALE_REPLY_AFTER_S = int_alias("AI_STALE_REPLY_AFTER_S", default=30)  # sweeper: a queued turn pending this long
# Turns (and channel replies) the sweepers leave in the workers' hands at most, counting those
# running, the oldest first: the `ai` worker's threads (the Procfile's `-c 32`, devserver's --ai-threads).
SWEEP_BATCH_SIZE = int_alias("SWEEP_BATCH_SIZE", default=32)
# One reply per burst (issue 27): messages of one conversation within this quiet window (seconds)
# get one AI turn (or one auto-reply) that sees them all; 0: every message its own reply. The
# default of the external channels (a channel's spec may declare its own); AI_BURST_WINDOWS
# ("telegram=3,sms=1.5") overrides it per channel; AI_BURST_WINDOW_WEB_S is the web's and the API's,
# 0 by default: the panel's composer and API clients send whole messages, and a program calling the
# API waits for each answer, so a window there would only slow every reply down.
# Keep windows well below AI_STALE_REPLY_AFTER_S: the sweeper takes a message pending that long.
AI_BURST_WINDOW_S = float(str_alias("AI_BURST_WINDOW_S", default="2"))
AI_BURST_WINDOWS = {
    name.strip(): float(value)
    for name, _, value in (item.partition("=") for item in str_alias("AI_BURST_WINDOWS").split(","))
    if name.strip() and value.strip()
}
AI_BURST_WINDOW_WEB_S = float(str_alias("AI_BURST_WINDOW_WEB_S", default="0"))

CHAT_MODE = str_alias("CHAT_MODE", default="echo").lower()  # echo | keywords | off; unknown values act as echo
