"""The AI turn (`turns`), the claim on a message and the lease on its conversation (`claims`), and
the sweeper that brings back turns a broker outage or a dead worker left behind (`sweeper`)."""
