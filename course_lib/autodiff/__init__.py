"""Automatic differentiation from scratch (chapter 4).

* :mod:`course_lib.autodiff.forward`: forward mode with dual numbers ``a + b eps``, eps^2 = 0.
* :mod:`course_lib.autodiff.reverse`: reverse mode with a scalar :class:`Value` node that records
  the computation graph (the tape) and back-propagates in topological order.

Both modes have the same operations under the same names, and raise :class:`DomainError` (a
``ValueError``) outside a function's domain.
"""

from course_lib.autodiff.domain import DomainError
from course_lib.autodiff.forward import Dual, derivative, gradient_forward
from course_lib.autodiff.reverse import Value, gradient_reverse, topological_order

__all__ = ["DomainError", "Dual", "derivative", "gradient_forward", "Value", "gradient_reverse", "topological_order"]
