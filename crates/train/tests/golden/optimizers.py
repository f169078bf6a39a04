# Generates the PyTorch golden values of crates/train/tests/optimizers_golden.rs.
# Run: python3 crates/train/tests/golden/optimizers.py  (torch 2.x, CPU, float64)
import torch

torch.set_default_dtype(torch.float64)
W0 = [0.5, -1.0, 2.0, 0.25, -0.3, 1.5]
GRADS = [
    [0.1, -0.2, 0.3, -0.4, 0.5, -0.6],
    [-0.05, 0.15, 0.25, -0.35, 0.45, 0.05],
    [0.2, 0.1, -0.3, 0.0, -0.1, 0.4],
]
CASES = {
    "sgd": lambda p: torch.optim.SGD(p, lr=0.1),
    "sgd_momentum": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
    "sgd_nesterov": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "sgd_dampening": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1),
    "adagrad": lambda p: torch.optim.Adagrad(p, lr=0.1, eps=1e-10),
    "rmsprop": lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.99, eps=1e-8),
    "adam": lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.9, 0.999), eps=1e-8),
    "adamw": lambda p: torch.optim.AdamW(p, lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1),
}
for name, make in CASES.items():
    w = torch.tensor(W0, requires_grad=True)
    opt = make([w])
    for g in GRADS:
        opt.zero_grad()
        w.grad = torch.tensor(g)
        opt.step()
    print(f'("{name}", [{", ".join(repr(float(x)) for x in w.detach())}]),')
