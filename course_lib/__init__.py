"""course_lib: the shared library of the course *Neural networks from first principles*.

One idea, three times. The same fully connected network exists in

* :mod:`course_lib.numpy`  -- every equation written out by hand (needs only NumPy),
* :mod:`course_lib.torch`  -- the same network with ``torch.autograd``  (``pip install course_lib[torch]``),
* :mod:`course_lib.keras`  -- the same network with Keras 3            (``pip install course_lib[tensorflow]``),

and all three are built from one :class:`course_lib.spec.MLPSpec`.
Importing ``course_lib`` never imports torch or tensorflow.
"""

from course_lib.history import History
from course_lib.spec import MLPSpec

__all__ = ["History", "MLPSpec"]
__version__ = "0.1.0"
