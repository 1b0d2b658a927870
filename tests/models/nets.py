"""Small networks with non-trivial weights for export and decoding tests."""

import torch

from models.network import EditNet, NetConfig


def small_net(seed: int = 0) -> EditNet:
    """A 2-layer ``EditNet`` in eval mode whose weights are perturbed away from their init,
    so a wrong graph cannot agree with the right one by accident."""
    torch.manual_seed(seed)
    net = EditNet(NetConfig(d_model=64, n_layers=2, n_heads=4, cnn_channels=(16, 32))).eval()
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.05 * torch.randn_like(p))
    return net
