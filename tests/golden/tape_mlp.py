# Generates the PyTorch golden values of tests/tests/tape_vs_pytorch.rs.
# Run: python3 tests/golden/tape_mlp.py  (torch 2.x, CPU, float64)
import torch

torch.set_default_dtype(torch.float64)
x = torch.tensor([[0.2, -1.1, 0.7], [1.3, 0.4, -0.5], [-0.8, 0.9, 0.1], [0.05, -0.3, 1.6], [-1.2, -0.6, 0.45]])
w1 = torch.tensor([[0.3, -0.2, 0.5, 0.1], [-0.4, 0.6, 0.2, -0.3], [0.25, 0.15, -0.35, 0.45]], requires_grad=True)
b1 = torch.tensor([0.05, -0.1, 0.2, 0.0], requires_grad=True)
w2 = torch.tensor([[0.7, -0.5], [-0.2, 0.4], [0.6, 0.3], [-0.45, 0.8]], requires_grad=True)
labels = torch.tensor([1, 0, 1, 1, 0])

h = x @ w1 + b1
a = torch.log(1 + torch.exp(h))          # softplus, written with primitives
s = a @ w2
# log-softmax cross-entropy written with primitives: max, sub, exp, sum, log
m = s.max(dim=1, keepdim=True).values
z = s - m
lse = torch.log(torch.exp(z).sum(dim=1, keepdim=True))
logp = z - lse
loss = -(logp[torch.arange(5), labels]).mean() + 0.5 * 1e-2 * (w1 ** 2).sum()
loss.backward()
fmt = lambda t: ", ".join(repr(float(v)) for v in t.flatten())
print(f"const LOSS: f64 = {loss.item()!r};")
print(f"const GRAD_W1: [f64; 12] = [{fmt(w1.grad)}];")
print(f"const GRAD_B1: [f64; 4] = [{fmt(b1.grad)}];")
print(f"const GRAD_W2: [f64; 8] = [{fmt(w2.grad)}];")
