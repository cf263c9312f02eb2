"""Grouping an edit script into hunks with context lines (docs/FORMAT.md, "Hunks")."""


def group(ops, context):
    """Splits opcodes into hunks: lists of opcodes, each starting and ending with at most
    `context` lines of an "equal" run (clipped), changes closer than the rule allows kept
    together. Identical inputs give no hunks."""
    if context < 0:
        raise ValueError("context must be >= 0")
    changes = [k for k, op in enumerate(ops) if op[0] != "equal"]
    if not changes:
        return []
    hunks, current = [], []
    for k, op in enumerate(ops):
        tag, i1, i2, j1, j2 = op
        if tag != "equal":
            current.append(op)
            continue
        size = i2 - i1
        first, last = k < changes[0], k > changes[-1]
        if first:
            keep = min(size, context)
            if keep:
                current.append((tag, i2 - keep, i2, j2 - keep, j2))
        elif last:
            keep = min(size, context)
            if keep:
                current.append((tag, i1, i1 + keep, j1, j1 + keep))
        elif size > 2 * context:
            if context:
                current.append((tag, i1, i1 + context, j1, j1 + context))
            hunks.append(current)
            current = []
            if context:
                current.append((tag, i2 - context, i2, j2 - context, j2))
        else:
            current.append(op)
    hunks.append(current)
    return hunks
