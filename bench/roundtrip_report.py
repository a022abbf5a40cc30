"""bench/roundtrip.py's verdict and report: per step, the delays' percentiles, whether the step held
(every webhook answered, every reply once and within the bound) and CPU per message by process; over
the steps, each tree's medians and the current tree's ratio to the baseline's."""

from __future__ import annotations

import statistics

from ai_throughput import percentile

CALLBACKS_PER_REPLY = 2  # sent, delivered (demo/twilio_standin.py)
OWN_ROLES = ("web", "worker", "worker_ai", "postgresql_own_db", "redis_whole_server")


def stats(values: list[float]) -> dict:
    if not values:
        return {}
    return {"p50_ms": round(percentile(values, 50), 1), "p99_ms": round(percentile(values, 99), 1),
            "max_ms": round(max(values), 1)}  # fmt: skip


def turn_summary(outcomes, sids, ack_ms, reply_ms, missing: int, twice: int, bound_s: float, **faults: int) -> dict:
    """Held: every webhook answered 2xx, every reply once and within the bound, no fault counted."""
    bound_ms = bound_s * 1000
    statuses: dict[str, int] = {}
    for outcome in outcomes:
        key = str(outcome.status) if outcome.status is not None else "error"
        statuses[key] = statuses.get(key, 0) + 1
    in_bound = sum(1 for delay in reply_ms if delay <= bound_ms)
    result = {
        "due": len(sids),
        "sent": len(outcomes),
        "statuses": statuses,
        "ack": stats(ack_ms),
        "reply": stats(reply_ms),
        "replies_once": len(reply_ms),
        "replies_missing": missing,
        "replies_more_than_once": twice,
        **faults,
        "replies_within_bound": in_bound,
    }
    result["held"] = (
        len(outcomes) == len(sids)
        and sum(n for status, n in statuses.items() if status.startswith("2")) == len(sids)
        and in_bound == len(sids)
        and not missing
        and not twice
        and not any(faults.values())
    )
    return result


def cpu_report(seconds: dict[str, float], busy: tuple[float, float], sent: int) -> dict:
    """CPU ms per message by process (`seconds` used during the step), what the tree's own
    processes add up to, and how busy the whole machine was (`busy`: its busy and total seconds)."""
    cpu = {role: round(used * 1000 / sent, 2) for role, used in seconds.items()}
    cpu["sum"] = round(sum(cpu.values()), 2)
    cpu["ours"] = round(sum(cpu[role] for role in OWN_ROLES), 2)
    cpu["whole_machine"] = round(busy[0] * 1000 / sent, 2)
    return {
        "cpu_ms_per_message": cpu,
        "machine_busy_pct": round(100 * busy[0] / busy[1], 1) if busy[1] else 0.0,
    }


def medians(steps: list[dict]) -> dict:
    """Per tree, the median over the held steps of each process's CPU per message."""
    out: dict = {}
    for tree in sorted({step["tree"] for step in steps}):
        held = [step["cpu_ms_per_message"] for step in steps if step["tree"] == tree and step["held"]]
        if held:
            out[tree] = {role: round(statistics.median(c[role] for c in held), 2) for role in held[0]}
    if "baseline" in out and "current" in out:
        base, current = out["baseline"], out["current"]
        out["ratio_current_to_baseline"] = {
            role: round(current[role] / base[role], 2) for role in current if base.get(role)
        }
    return out
