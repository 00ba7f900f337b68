"""Optimizers and learning-rate schedules (PyTorch's `torch.optim`, same names and defaults).

    SGD       gradient descent with momentum / Nesterov / weight decay   (F4, F5)
    Adam      adaptive moments with bias correction                      (F5)
    AdamW     Adam with decoupled weight decay
    RMSprop   gradient divided by a running RMS

    lr_scheduler: StepLR, ExponentialLR, CosineAnnealingLR, LinearLR, LambdaLR, SequentialLR

Read `optimizer.py` first (the shared bookkeeping), then `sgd.py` and `adam.py`.
"""

from minigrad.optim import lr_scheduler
from minigrad.optim.adam import Adam
from minigrad.optim.adamw import AdamW
from minigrad.optim.optimizer import Optimizer
from minigrad.optim.rmsprop import RMSprop
from minigrad.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler"]
