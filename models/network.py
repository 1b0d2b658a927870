"""The edit policy and value network (DESIGN.md §2; contract in inference/model/onnx_model.py).

One network does both jobs, for one language (``NetConfig.language``). A small CNN turns the
image planes (CSG2D's three: target, current render, |difference|; TinySVG's nine: the same
in RGB, :func:`inference.model.model_batches.image_planes_of`) into an 8×8 grid of image
tokens. A
transformer reads the program tokens (each carrying program-aligned features
from ``inference.model.token_features``), then ``<EDIT>`` and the edit decoded so far.
Program tokens attend to each other both ways (a prefix), edit tokens
causally; every layer also cross-attends to the image tokens.

Heads:

* ``token_logits`` (B, T, POS_BASE): the next non-``<POS>`` token;
* ``pos_logits`` (B, T, T): a pointer over sequence positions for the next
  ``<POS k>``, so the edit position is chosen by comparing token states
  rather than by a fixed position vocabulary;
* ``value`` (B,): edits left on the path, read at the ``<EDIT>`` token.

A ``<POS k>`` input token is embedded as a marker plus the embedding of
program token k, so the decoder knows which node it is rewriting.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import torch
from torch import nn
from torch.nn import functional as F

from inference.model.model_batches import image_planes_of
from inference.model.token_features import FEATURE_DIM
from inference.model.tokens import MAX_SEQUENCE, PAD, Vocabulary, vocabulary_for
from inference.targets.target_images import IMAGE_SIZE


@dataclass
class NetConfig:
    """Hyper-parameters of :class:`EditNet`; saved beside every checkpoint.

    ``language`` fixes the vocabulary (embedding and head sizes) and the image planes; a
    config saved before issue 17 has none and is CSG2D's.  ``max_seq`` is the language's
    longest sequence (:meth:`for_language` sets it)."""

    image_size: int = IMAGE_SIZE
    feature_dim: int = FEATURE_DIM
    d_model: int = 128
    n_layers: int = 4
    n_heads: int = 4
    cnn_channels: tuple[int, ...] = (32, 64)
    max_seq: int = MAX_SEQUENCE
    dropout: float = 0.0
    language: str = "CSG2D"

    def __post_init__(self):
        self.language = vocabulary_for(self.language).language  # canonical spelling

    @property
    def vocabulary(self) -> Vocabulary:
        """The language's :class:`~inference.model.tokens.Vocabulary`."""
        return vocabulary_for(self.language)

    @property
    def image_planes(self) -> int:
        """C of the ``images`` input: 3 for CSG2D, 9 for TinySVG."""
        return image_planes_of(self.language)

    def for_language(self, language: str) -> NetConfig:
        """This config for ``language``, its ``max_seq`` that language's longest sequence
        (itself when it is already for that language)."""
        vocab = vocabulary_for(language)
        if vocab.language == self.language:
            return self
        return replace(self, language=vocab.language, max_seq=vocab.max_sequence)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> NetConfig:
        d = dict(d)
        d["cnn_channels"] = tuple(d["cnn_channels"])
        return cls(**d)


class ImageEncoder(nn.Module):
    """Image planes (B, C, S, S) → image tokens (B, (S/8)², d) and a global vector (B, d).

    Cheap on a CPU: a 4×4 patchify convolution, one 3×3 convolution at S/4,
    a 2×2 patchify to S/8 and a 1×1 projection.
    """

    def __init__(self, cfg: NetConfig):
        super().__init__()
        c1, c2 = cfg.cnn_channels[0], cfg.cnn_channels[-1]
        self.conv = nn.Sequential(
            nn.Conv2d(cfg.image_planes, c1, 4, stride=4),  # (B, c1, S/4, S/4)
            nn.GroupNorm(8, c1),
            nn.GELU(),
            nn.Conv2d(c1, c1, 3, padding=1),
            nn.GELU(),
            nn.Conv2d(c1, c2, 2, stride=2),  # (B, c2, S/8, S/8)
            nn.GroupNorm(8, c2),
            nn.GELU(),
        )
        self.proj = nn.Conv2d(c2, cfg.d_model, 1)
        side = cfg.image_size // 8
        self.pos = nn.Parameter(torch.zeros(1, side * side, cfg.d_model))
        self.glob = nn.Linear(cfg.d_model, cfg.d_model)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.proj(self.conv(images))  # (B, d, s, s)
        tokens = x.flatten(2).transpose(1, 2) + self.pos  # (B, s², d)
        return tokens, self.glob(tokens.mean(dim=1))  # (B, s², d), (B, d)


class Attention(nn.Module):
    """Multi-head attention written out plainly (exports cleanly to ONNX): a block projects
    queries with ``q`` and keys/values with ``kv`` and calls :meth:`attend` (the cached
    decoding reuses projected keys/values)."""

    def __init__(self, d: int, n_heads: int):
        super().__init__()
        self.h = n_heads
        self.dh = d // n_heads
        self.scale = 1.0 / math.sqrt(self.dh)
        self.q = nn.Linear(d, d)
        self.kv = nn.Linear(d, 2 * d)
        self.out = nn.Linear(d, d)

    def _heads(self, x):
        B, T, _ = x.shape
        return x.view(B, T, self.h, self.dh).transpose(1, 2)  # (B, h, T, dh)

    def attend(self, q, kv, mask=None):
        """Attention of projected queries ``q`` (B, T, d) over projected ``kv`` (B, S, 2d)."""
        B, T, d = q.shape
        q, k, v = self._heads(q), self._heads(kv[..., :d]), self._heads(kv[..., d:])
        att = (q @ k.transpose(-2, -1)) * self.scale  # (B, h, T, S)
        if mask is not None:
            att = att.masked_fill(~mask[:, None], -1e9)
        y = att.softmax(-1) @ v  # (B, h, T, dh)
        return self.out(y.transpose(1, 2).reshape(B, T, d))


class Block(nn.Module):
    """Pre-norm block: masked self-attention, cross-attention to the image, MLP."""

    def __init__(self, cfg: NetConfig):
        super().__init__()
        d = cfg.d_model
        self.ln1, self.ln2, self.ln3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.self_att = Attention(d, cfg.n_heads)
        self.cross_att = Attention(d, cfg.n_heads)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x, img, mask, cache: list | None = None):
        """One block; with ``cache`` (a list), append this layer's self- and cross-attention
        keys/values ((B, T, 2d), (B, s², 2d)) for :meth:`EditNet.decode_step`."""
        h = self.ln1(x)
        self_kv, img_kv = self.self_att.kv(h), self.cross_att.kv(img)
        if cache is not None:
            cache.append((self_kv, img_kv))
        return self.step(x, h, self_kv, mask, img_kv)

    def step(self, x, h, self_kv, mask, img_kv):
        """The block on ``x`` (B, T, d) once its keys and values are known: ``h`` is
        ``ln1(x)``, ``self_kv`` (B, K, 2d) the self-attention keys/values that ``mask``
        (B, T, K) lets each query see, ``img_kv`` (B, s², 2d) the image's.  :meth:`forward`
        and :meth:`EditNet.decode_step` (with cached keys) both end here."""
        x = x + self.drop(self.self_att.attend(self.self_att.q(h), self_kv, mask))
        x = x + self.drop(self.cross_att.attend(self.cross_att.q(self.ln2(x)), img_kv))
        return x + self.drop(self.mlp(self.ln3(x)))


class EditNet(nn.Module):
    """Policy + value network; ``forward`` follows the ONNX contract exactly."""

    def __init__(self, cfg: NetConfig):
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        self.pos_base = cfg.vocabulary.pos_base  # id of <POS 0>: 33 for CSG2D, 32 for TinySVG
        self.image = ImageEncoder(cfg)
        self.tok = nn.Embedding(self.pos_base, d)
        self.pos_marker = nn.Parameter(torch.zeros(d))
        self.position = nn.Embedding(cfg.max_seq, d)
        self.feat = nn.Linear(cfg.feature_dim, d)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, self.pos_base)
        self.ptr_q = nn.Linear(d, d)
        self.ptr_k = nn.Linear(d, d)
        self.ptr_scale = 1.0 / math.sqrt(d)
        self.value_head = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Linear(d, 1))
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, nn.Linear | nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def embed(self, tokens, feats, glob):
        """Input embeddings (B, T, d); ``<POS k>`` copies program token k's embedding."""
        B, T = tokens.shape
        is_pos = tokens >= self.pos_base  # (B, T)
        base_ids = torch.where(is_pos, torch.full_like(tokens, PAD), tokens)
        steps = torch.arange(T, device=tokens.device)
        x = self.tok(base_ids) + self.position(steps)[None] + self.feat(feats) + glob[:, None]
        k = (tokens - self.pos_base).clamp(0, T - 1)  # (B, T)
        pointed = torch.gather(x, 1, k[..., None].expand(B, T, x.shape[-1]))  # (B, T, d)
        return torch.where(is_pos[..., None], pointed + self.pos_marker, x)

    def forward(self, images, tokens, feats, prefix_len):
        """images (B,C,S,S), tokens (B,T), feats (B,T,F), prefix_len (B,) → see module doc."""
        return self.forward_with_cache(images, tokens, feats, prefix_len)[:3]

    def forward_with_cache(self, images, tokens, feats, prefix_len):
        """:meth:`forward`'s three outputs, then what :meth:`decode_step` needs to go on
        from these rows: ``self_kv`` (L, B, T, 2d), ``img_kv`` (L, B, s², 2d), the input
        embeddings ``x0`` (B, T, d), the pointer keys (B, T, d) and ``glob`` (B, d)."""
        B, T = tokens.shape
        img, glob = self.image(images)  # (B, s², d), (B, d)
        x0 = self.embed(tokens, feats, glob)  # (B, T, d)
        steps = torch.arange(T, device=tokens.device)
        causal = steps[None, :] <= steps[:, None]  # (T, T): key j <= query i
        prefix = steps[None, None, :] < prefix_len[:, None, None]  # (B, 1, T)
        mask = causal[None] | prefix  # (B, T, T)
        cache: list = []
        x = x0
        for block in self.blocks:
            x = block(x, img, mask, cache)
        h = self.ln_f(x)  # (B, T, d)
        token_logits = self.head(h)  # (B, T, POS_BASE)
        ptr_keys = self.ptr_k(h)
        pos_logits = self.ptr_q(h) @ ptr_keys.transpose(1, 2) * self.ptr_scale
        at_edit = (prefix_len - 1).clamp(0, T - 1)  # (B,)
        h_edit = torch.gather(h, 1, at_edit[:, None, None].expand(B, 1, h.shape[-1]))[:, 0]
        value = self.value_head(h_edit)[:, 0]  # (B,)
        self_kv = torch.stack([kv for kv, _ in cache])
        img_kv = torch.stack([kv for _, kv in cache])
        return token_logits, pos_logits, value, self_kv, img_kv, x0, ptr_keys, glob

    def decode_step(
        self, edit_tokens, prev_len, prev_kv, prefix_len, self_kv, img_kv, x0, ptr_keys, glob
    ):
        """Logits for new edit tokens that follow cached program prefixes and cached edit tokens.

        ``edit_tokens`` (B, M, N): the new ids of M edits of each of B prefixes (padded at
        the end; outputs there are unused).  ``prev_len`` (B, M) counts each edit's earlier
        ids, whose keys/values ``prev_kv`` (L, B, M, E, 2d) came from earlier calls (entries
        past ``prev_len`` are ignored).  The rest are :meth:`forward_with_cache`'s outputs for
        the B ``program + <EDIT>`` rows (P = their padded length) with their ``prefix_len``.
        Returns ``token_logits`` (B, M, N, POS_BASE), ``pos_logits`` (B, M, N, P) and the new
        tokens' keys/values (L, B, M, N, 2d), equal to what :meth:`forward` gives at those
        positions of the full sequences: program tokens never attend to the edit, and edit
        tokens only to earlier ones, so cached keys and values are reused as they are.
        """
        B, M, N = edit_tokens.shape
        P, d = x0.shape[1], x0.shape[2]
        E = prev_kv.shape[3]
        e = edit_tokens.reshape(B, M * N)
        steps = torch.arange(N, device=e.device)
        where = prefix_len[:, None, None] + prev_len[:, :, None] + steps[None, None]  # (B, M, N)
        where = where.clamp(max=self.cfg.max_seq - 1).reshape(B, M * N)
        is_pos = e >= self.pos_base
        base_ids = torch.where(is_pos, torch.full_like(e, PAD), e)
        # edit tokens carry zero features, so their feature term is the projection's bias
        x = self.tok(base_ids) + self.position(where) + self.feat.bias + glob[:, None]
        k = (e - self.pos_base).clamp(0, P - 1)
        pointed = torch.gather(x0, 1, k[..., None].expand(B, M * N, d))
        x = torch.where(is_pos[..., None], pointed + self.pos_marker, x)
        # what each new token (query) may see: its program, its edit's earlier and new ids
        q_edit = torch.arange(M * N, device=e.device) // N  # (MN,)
        q_step = torch.arange(M * N, device=e.device) % N
        keys = torch.arange(P, device=e.device)
        program_ok = (keys[None, None, :] < prefix_len[:, None, None]).expand(B, M * N, P)
        p_edit = torch.arange(M * E, device=e.device) // E
        p_step = torch.arange(M * E, device=e.device) % E
        prev_ok = (p_edit[None, None, :] == q_edit[None, :, None]) & (
            p_step[None, None, :] < prev_len.reshape(B, M)[:, p_edit][:, None, :]
        )  # (B, MN, ME)
        new_ok = (q_edit[None, :] == q_edit[:, None]) & (q_step[None, :] <= q_step[:, None])
        mask = torch.cat([program_ok, prev_ok, new_ok[None].expand(B, M * N, M * N)], dim=2)
        new_kv = []
        for layer, block in enumerate(self.blocks):
            h = block.ln1(x)
            kv_new = block.self_att.kv(h)  # (B, MN, 2d)
            new_kv.append(kv_new)
            kv = torch.cat([self_kv[layer], prev_kv[layer].reshape(B, M * E, -1), kv_new], dim=1)
            x = block.step(x, h, kv, mask, img_kv[layer])
        h = self.ln_f(x)
        token_logits = self.head(h).reshape(B, M, N, -1)
        pos_logits = (self.ptr_q(h) @ ptr_keys.transpose(1, 2) * self.ptr_scale).reshape(B, M, N, P)
        return token_logits, pos_logits, torch.stack(new_kv).reshape(-1, B, M, N, 2 * d)


def edit_loss(
    token_logits, pos_logits, value, targets, value_targets, allowed=None, value_weight=0.05
):
    """Cross-entropy on the edit tokens plus weighted MSE on edits remaining.

    ``targets`` (B, T) index the concatenation [token ids, pointer positions]
    (``<POS k>`` → POS_BASE + k) and are -100 where there is no loss.
    ``allowed`` (B, T, POS_BASE + T), if given, is the decoder's grammar mask:
    the softmax runs over legal next tokens only, as in constrained decoding.
    Returns ``(total, ce, mse, stats)`` where stats holds token-level accuracies.
    """
    pos_base = token_logits.shape[-1]  # the language's POS_BASE
    logits = torch.cat([token_logits, pos_logits], dim=-1)  # (B, T, POS_BASE + T)
    if allowed is not None:
        logits = logits.masked_fill(~allowed, -1e9)
    ce = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=-100)
    mse = F.mse_loss(value, value_targets)
    with torch.no_grad():
        live = targets != -100
        hit = (logits.argmax(-1) == targets) & live
        is_pos = live & (targets >= pos_base)
        # an example is right when every one of its edit tokens is predicted right
        exact = ((hit | ~live).all(dim=1)).float().mean()
        stats = {
            "token_acc": (hit.sum() / live.sum().clamp(min=1)).item(),
            "pos_acc": ((hit & is_pos).sum() / is_pos.sum().clamp(min=1)).item(),
            "exact_acc": exact.item(),
        }
    return ce + value_weight * mse, ce, mse, stats
