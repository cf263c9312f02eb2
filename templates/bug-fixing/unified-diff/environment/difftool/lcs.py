"""A minimal edit script between two lists of lines (longest common subsequence).

opcodes(a, b) returns difflib-style tuples (tag, i1, i2, j1, j2) with tag "equal", "delete",
"insert" or "replace", covering both lists in order. The script is minimal: the number of
deleted plus inserted lines is len(a) + len(b) - 2 * LCS(a, b).
"""


def _trim(a, b):
    """Common prefix and suffix lengths (they are always part of some LCS)."""
    pre = 0
    while pre < len(a) and pre < len(b) and a[pre] == b[pre]:
        pre += 1
    suf = 0
    while suf < len(a) - pre and suf < len(b) - pre and a[-1 - suf] == b[-1 - suf]:
        suf += 1
    return pre, suf


def matching_pairs(a, b):
    """Index pairs (i, j) with a[i] == b[j] forming a longest common subsequence."""
    pre, suf = _trim(a, b)
    ma, mb = a[pre : len(a) - suf], b[pre : len(b) - suf]
    n, m = len(ma), len(mb)
    # table[i][j] = LCS length of ma[i:], mb[j:]
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below = table[i], table[i + 1]
        x = ma[i]
        for j in range(m - 1, -1, -1):
            if x == mb[j]:
                row[j] = below[j + 1] + 1
            else:
                row[j] = row[j + 1] if row[j + 1] >= below[j] else below[j]
    pairs = [(k, k) for k in range(pre)]
    i = j = 0
    while i < n and j < m:
        if ma[i] == mb[j]:
            pairs.append((pre + i, pre + j))
            i += 1
            j += 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1  # deleting first keeps deletions ahead of insertions
        else:
            j += 1
    pairs += [(len(a) - suf + k, len(b) - suf + k) for k in range(suf)]
    return pairs


def opcodes(a, b):
    ops = []
    i = j = 0
    for pi, pj in matching_pairs(a, b) + [(len(a), len(b))]:
        if i < pi or j < pj:
            tag = "replace" if i < pi and j < pj else "delete" if i < pi else "insert"
            ops.append((tag, i, pi, j, pj))
        if pi < len(a):
            if ops and ops[-1][0] == "equal" and ops[-1][2] == pi:
                _, ei1, _, ej1, _ = ops.pop()
                ops.append(("equal", ei1, pi + 1, ej1, pj + 1))
            else:
                ops.append(("equal", pi, pi + 1, pj, pj + 1))
        i, j = pi + 1, pj + 1
    return ops
