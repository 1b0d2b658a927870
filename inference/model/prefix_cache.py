"""Next-token logits for edits from a key/value cache of their programs (cached decoding).

:class:`PrefixCache` runs the policy graph once over every ``program + <EDIT>`` row, keeps
its cache outputs, and answers later steps with the step graph
(:mod:`inference.model.step_model`), which computes only the edit tokens.  It gives the same
logits as full forwards over ``program + edit`` (tested to 1e-4), at a fraction of the cost:
a program of P tokens is encoded once instead of once per step and sample, and each edit
id once instead of once per later step.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from inference.model.tokens import CSG2D_VOCAB, PAD, Vocabulary
from inference.util.cancellation import CancelFn, check

MAX_EDIT_ROWS = 256
"""Most edit rows (owners × edits per owner) in one step call."""
MAX_EDITS_PER_ROW = 8
"""More edits of one program than this are decoded as one row each (the program's cache
copied per row), since attention inside a row grows with the square of its edits."""


def vocab_logits(
    token_logits: np.ndarray, pos_logits: np.ndarray, vocab: Vocabulary = CSG2D_VOCAB
) -> np.ndarray:
    """Rows of next-token logits over the whole vocabulary (R, vocab.size) from the network's
    ``token_logits`` (R, vocab.pos_base) and pointer ``pos_logits`` (R, P) at the same
    positions; ``<POS k>`` beyond the pointer's reach is ``-inf``."""
    base = vocab.pos_base
    out = np.full((len(token_logits), vocab.size), -np.inf, np.float32)
    k = min(pos_logits.shape[1], vocab.max_pos)
    out[:, :base] = token_logits
    out[:, base : base + k] = pos_logits[:, :k]
    return out


def _batch_axis(name: str) -> int:
    """The batch axis of cache output ``name``: self_kv and img_kv are layer-major."""
    return 1 if name.endswith("kv") else 0


class PrefixCache:
    """Cached ``program + <EDIT>`` rows of one target; see the module doc.

    Args:
        model: a :class:`inference.model.onnx_model.PolicyModel` whose ``step`` is loaded.
        inputs: the policy inputs of all rows (``images``, ``tokens``, ``feats``,
            ``prefix_len``), padded to one length.
        max_rows: largest forward batch of the policy graph.
        cancel: asked before every forward batch; :class:`~inference.util.cancellation.Cancelled`
            when it returns True.  With a cancel the batches' caches are kept as they come,
            not copied into one large array, which would stall the cancel (fresh memory is
            slow to touch): a step call gathers the rows it needs.
    """

    def __init__(
        self,
        model,
        inputs: dict[str, np.ndarray],
        max_rows: int,
        cancel: CancelFn | None = None,
    ):
        self.model = model
        self.vocab = vocab = getattr(model, "vocabulary", CSG2D_VOCAB)
        self.prefix_len = np.asarray(inputs["prefix_len"], np.int64)
        n = len(self.prefix_len)
        self.first = np.empty((n, vocab.size), np.float32)
        self.values = np.zeros(n, np.float32)
        self._parts: list[dict[str, np.ndarray]] = []
        """The cache outputs of each forward batch of ``max_rows`` rows."""
        self._part_rows = max_rows
        for lo in range(0, n, max_rows):
            check(cancel)
            chunk = {k: v[lo : lo + max_rows] for k, v in inputs.items()}
            tok, pos, val, cache = model.run_with_cache(chunk)
            r, t = np.arange(len(tok)), chunk["prefix_len"] - 1
            self.first[lo : lo + len(tok)] = vocab_logits(tok[r, t], pos[r, t], vocab)
            self.values[lo : lo + len(tok)] = val
            self._parts.append(cache)
        self._all: dict[str, np.ndarray] | None = None
        """The cache outputs of all rows in one array each, once needed (or at once without
        a cancel)."""
        if len(self._parts) == 1 or cancel is None:
            self._whole()
        self.layers, self.width = (
            self._parts[0]["self_kv"].shape[0],
            self._parts[0]["self_kv"].shape[3],
        )
        self.edit_kv: dict[tuple[int, tuple[int, ...]], np.ndarray] = {}
        """Keys/values (L, len(ids), 2d) of the edit ids decoded so far, by (program, ids)."""

    def next_logits(
        self,
        rows: Sequence[tuple[int, tuple[int, ...]]],
        cancel: CancelFn | None = None,
        max_edit_rows: int = MAX_EDIT_ROWS,
    ):
        """Next-token logits (R, vocabulary size) and the programs' values (R,) for
        ``(program index, edit ids so far)`` rows.

        ``cancel`` is asked before every step call (:class:`~inference.util.cancellation.Cancelled`
        when it returns True); a call holds at most ``max_edit_rows`` edit rows (owners ×
        edits per owner), or one owner's.
        """
        logits = np.full((len(rows), self.vocab.size), -np.inf, np.float32)
        values = self.values[[b for b, _ in rows]] if rows else np.zeros(0, np.float32)
        by_owner: dict[int, list[int]] = {}
        for r, (b, ids) in enumerate(rows):
            if ids:
                by_owner.setdefault(b, []).append(r)
            else:
                logits[r] = self.first[b]
        groups = [(b, by_owner[b]) for b in sorted(by_owner)]
        if not groups:
            return logits, values
        per = max(len(rs) for _, rs in groups)
        if per > MAX_EDITS_PER_ROW:  # attention within a group grows as per²: one row each
            groups, per = [(b, [r]) for b, rs in groups for r in rs], 1
        step = max(1, max_edit_rows // per)
        for lo in range(0, len(groups), step):
            check(cancel)
            self._step(groups[lo : lo + step], rows, per, logits)
        return logits, values

    def _step(self, group, rows, per: int, logits: np.ndarray) -> None:
        """One step call for ``group`` [(owner, row indices)], writing into ``logits``.

        Each row reuses the keys/values of its longest already computed prefix of ids and
        computes only the ids after it; its own are kept for the rows that extend it."""
        n_all = len(self.prefix_len)
        owners = [b for b, _ in group]  # one slot each (an owner may repeat)
        # slicing copies the cache; for most owners, run them all (absent ones idle)
        full = len(set(owners)) == len(owners) and len(owners) * 2 >= n_all
        n_slots = n_all if full else len(owners)
        slot_ids = [b if full else g for g, b in enumerate(owners)]  # the slot of each group
        known = [(r, self._known(rows[r])) for _, rs in group for r in rs]
        new_n = max(len(rows[r][1]) - n for r, (n, _) in known)
        prev_e = max(1, max(n for _, (n, _) in known))
        edits = np.full((n_slots, per, new_n), PAD, np.int64)
        prev_len = np.zeros((n_slots, per), np.int64)
        prev_kv = np.zeros((self.layers, n_slots, per, prev_e, self.width), np.float32)
        where = []
        slot_m = [(slot_ids[g], m) for g, (_, rs) in enumerate(group) for m in range(len(rs))]
        for (r, (n, kv)), (s, m) in zip(known, slot_m, strict=True):
            b, ids = rows[r]
            edits[s, m, : len(ids) - n] = ids[n:]
            prev_len[s, m] = n
            if n:
                prev_kv[:, s, m, :n] = kv
            where.append((r, s, m, n))
        if full:
            cache, plen = self._whole(), self.prefix_len
        else:
            cache, plen = self._rows(owners), self.prefix_len[np.asarray(owners)]
        tok, pos, new_kv = self.model.step.run(edits, prev_len, prev_kv, plen, cache)
        at = np.array([(r, s, m, len(rows[r][1]) - n - 1) for r, s, m, n in where])
        cell = (at[:, 1], at[:, 2], at[:, 3])  # slot, edit, last new id of each row
        logits[at[:, 0]] = vocab_logits(tok[cell], pos[cell], self.vocab)
        for r, s, m, n in where:
            b, ids = rows[r]
            mine = new_kv[:, s, m, : len(ids) - n]
            self.edit_kv[(b, ids)] = (
                np.concatenate([prev_kv[:, s, m, :n], mine], axis=1) if n else mine.copy()
            )

    def _whole(self) -> dict[str, np.ndarray]:
        """The cache outputs of all rows, one array each (joined from the batches once)."""
        if self._all is None:
            parts = self._parts
            self._all = (
                parts[0]
                if len(parts) == 1
                else {
                    k: np.concatenate([p[k] for p in parts], axis=_batch_axis(k)) for k in parts[0]
                }
            )
        return self._all

    def _rows(self, owners: Sequence[int]) -> dict[str, np.ndarray]:
        """The cache outputs of rows ``owners`` (in that order), one new array each."""
        if self._all is not None:
            idx = np.asarray(owners)
            return {k: np.take(v, idx, axis=_batch_axis(k)) for k, v in self._all.items()}
        out = {}
        for k in self._parts[0]:
            axis = _batch_axis(k)
            pieces = []
            for b in owners:
                part, i = self._parts[b // self._part_rows][k], b % self._part_rows
                pieces.append(part[(slice(None),) * axis + (slice(i, i + 1),)])
            out[k] = np.concatenate(pieces, axis=axis)
        return out

    def _known(self, row: tuple[int, tuple[int, ...]]) -> tuple[int, np.ndarray | None]:
        """The longest proper prefix of ``row``'s ids with cached keys/values: (length, kv)."""
        b, ids = row
        for n in range(len(ids) - 1, 0, -1):
            kv = self.edit_kv.get((b, ids[:n]))
            if kv is not None:
                return n, kv
        return 0, None
