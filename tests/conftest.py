"""Set-up for every test process, before any test module is imported.

Triton before TensorFlow (``course_lib/load_order.py``): a pytest worker imports Keras and builds
PyTorch optimizers in one process, and where pip installed PyTorch's CUDA build (a contributor
without root gets it from PyPI) a Triton loaded after TensorFlow crashes the whole worker.
"""
from course_lib.load_order import load_triton_before_tensorflow

load_triton_before_tensorflow()
