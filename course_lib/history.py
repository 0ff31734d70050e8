"""One record of training, whatever the framework.

NumPy, PyTorch and Keras training all return a :class:`History`, so the
plotting helpers read one format. The ``history`` attribute has the same
layout as Keras's ``History.history``: metric name -> one value per epoch.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class History:
    """Per-epoch metrics of one training run.

    Attributes
    ----------
    history : dict[str, list[float]]
        ``"loss"`` and, where measured, ``"accuracy"``, ``"val_loss"``, ``"val_accuracy"``.
    framework : str
        ``"numpy"``, ``"torch"`` or ``"keras"``.
    best_epoch : int | None
        With early stopping, the (0-based) epoch whose weights were kept.
    seconds : float
        Wall-clock time of the whole run.
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    framework: str = "numpy"
    best_epoch: int | None = None
    seconds: float = 0.0

    def append(self, **metrics: float) -> None:
        """Record one epoch's metrics, e.g. ``append(loss=0.3, accuracy=0.9)``."""
        for name, value in metrics.items():
            if value is not None:
                self.history.setdefault(name, []).append(float(value))

    @property
    def epochs(self) -> int:
        """Number of epochs recorded."""
        return len(self.history.get("loss", []))

    def __getitem__(self, name: str) -> list[float]:
        return self.history[name]

    @classmethod
    def from_keras(cls, keras_history, seconds: float = 0.0, best_epoch: int | None = None) -> "History":
        """Wrap a ``keras.callbacks.History`` (only the metrics this course uses)."""
        keep = ("loss", "accuracy", "val_loss", "val_accuracy")
        metrics = {k: [float(v) for v in vals] for k, vals in keras_history.history.items() if k in keep}
        return cls(history=metrics, framework="keras", best_epoch=best_epoch, seconds=seconds)


class EarlyStopping:
    """Patience on the validation loss, for the hand-written training loops of every framework.

    After each epoch call :meth:`should_stop`. When the validation loss improves it
    calls ``snapshot()`` (a framework-specific copy of the weights) and records the
    epoch in ``history.best_epoch``; the loop restores :attr:`best_weights` at the end.
    """

    def __init__(self, patience: int, history: History):
        if patience < 1:
            raise ValueError(f"early_stopping (patience in epochs) must be >= 1; got {patience}")
        self.patience, self.history = patience, history
        self.best_loss, self.best_weights, self.waited = float("inf"), None, 0

    def should_stop(self, epoch: int, val_loss: float, snapshot) -> bool:
        if val_loss < self.best_loss:
            self.best_loss, self.best_weights, self.waited = val_loss, snapshot(), 0
            self.history.best_epoch = epoch
            return False
        self.waited += 1
        return self.waited >= self.patience
