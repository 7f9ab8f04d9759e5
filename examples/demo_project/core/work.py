"""Work that stands in for an app's own: a pure-Python busy loop (the CPU-bound views and tasks)."""


def spin(n):
    """Deterministic pure-Python busy loop."""
    acc = 0
    for i in range(n):
        acc = (acc * 31 + i * i) % 1_000_003
    return acc
