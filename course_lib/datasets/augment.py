"""Data augmentation for small images: random shifts and small rotations (chapter 7).

A digit moved by a pixel or turned by a few degrees is the same digit, so a training set can be
enlarged with such copies, drawn afresh every epoch. The rule lives here once, in NumPy and
``scipy.ndimage``; :class:`course_lib.torch.augment.RandomShiftRotate` calls it per sample.

The rule, for each image in turn (so a batch call and per-sample calls with the same generator
give the same images):

    shift  (dy, dx) : integers drawn uniformly from {-max_shift, ..., max_shift}   (rng.integers)
    angle           : degrees drawn uniformly from [-max_angle, max_angle]          (rng.uniform)
    image           : rotated by the angle about its centre, then shifted; bilinear interpolation;
                      pixels that come from outside the image get the background value ``fill``

Images are augmented in pixel space. Data that were standardised (``load_digits`` standardises
every pixel with the training statistics) are first mapped back with the split's ``scaler`` and
then forward again, so that "background" means the same thing for every pixel.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = ["shift_rotate", "random_shift_rotate", "draw_shift_rotate"]


def shift_rotate(images, shifts, angles, fill: float = 0.0) -> np.ndarray:
    """Images (N, H, W), image n rotated by ``angles[n]`` degrees about its centre, then shifted by
    ``shifts[n]`` = (dy, dx) pixels (down, right); pixels from outside the image are ``fill``.

    Bilinear interpolation, all images in one ``scipy.ndimage.map_coordinates`` call. A zero shift
    and angle sample the image exactly at its own pixels: an exact copy.
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 3:
        raise ValueError(f"images must have shape (N, H, W); got {images.shape}")
    n, h, w = images.shape
    shifts = np.asarray(shifts, dtype=np.float64).reshape(n, 2)
    t = np.deg2rad(np.asarray(angles, dtype=np.float64).reshape(n))
    cos, sin = np.cos(t)[:, None, None], np.sin(t)[:, None, None]
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    # For every output pixel o, the input point it comes from: undo the shift, then the rotation
    # about the centre, i = R(-angle) (o - shift - centre) + centre.
    oy, ox = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")
    dy = oy[None] - shifts[:, 0, None, None] - cy
    dx = ox[None] - shifts[:, 1, None, None] - cx
    iy = cos * dy + sin * dx + cy
    ix = -sin * dy + cos * dx + cx
    index = np.broadcast_to(np.arange(n, dtype=np.float64)[:, None, None], iy.shape)  # image n reads image n
    return ndimage.map_coordinates(images, [index, iy, ix], order=1, mode="constant", cval=fill)


def draw_shift_rotate(rng: np.random.Generator, max_shift: int = 1, max_angle: float = 10.0):
    """The random parameters of one image: ``((dy, dx), angle)``, drawn as the module docstring says."""
    shift = rng.integers(-max_shift, max_shift + 1, size=2)
    angle = float(rng.uniform(-max_angle, max_angle)) if max_angle else 0.0
    return (int(shift[0]), int(shift[1])), angle


def random_shift_rotate(X, rng: np.random.Generator, max_shift: int = 1, max_angle: float = 10.0,
                        image_shape=(8, 8), scaler=None, fill: float = 0.0) -> np.ndarray:
    """Every row of ``X`` (N, H*W), or every image of ``X`` (N, H, W), randomly shifted and rotated.

    Parameters
    ----------
    rng : a ``numpy.random.Generator``: the same generator state gives the same images.
    max_shift : largest shift in pixels, each direction (0: no shift).
    max_angle : largest rotation in degrees, either way (0: no rotation).
    image_shape : (H, W) of the flattened rows.
    scaler : the fitted scaler of a :class:`~course_lib.datasets.Split` (its ``inverse_transform``
        and ``transform``) when ``X`` is scaled; None for raw pixels.
    fill : the background pixel value, in pixel space (0 for the digits).

    Returns
    -------
    The augmented images, of ``X``'s shape and dtype. The labels are unchanged by construction.
    """
    X = np.asarray(X)
    if max_shift < 0 or max_angle < 0:
        raise ValueError(f"max_shift and max_angle must be >= 0; got {max_shift} and {max_angle}")
    flat = X.ndim == 2
    h, w = image_shape
    if (flat and X.shape[1] != h * w) or (not flat and (X.ndim != 3 or X.shape[1:] != (h, w))):
        raise ValueError(f"X must have shape (N, {h * w}) or (N, {h}, {w}) for {h}x{w} images; got {X.shape}")
    pixels = X.reshape(len(X), h * w).astype(np.float64)
    if scaler is not None:
        pixels = scaler.inverse_transform(pixels)
    params = [draw_shift_rotate(rng, max_shift, max_angle) for _ in range(len(X))]  # image by image
    shifts = np.array([p[0] for p in params], dtype=np.float64).reshape(len(X), 2)
    angles = np.array([p[1] for p in params], dtype=np.float64)
    out = shift_rotate(pixels.reshape(-1, h, w), shifts, angles, fill).reshape(len(X), h * w)
    if scaler is not None:
        out = scaler.transform(out)
    return out.reshape(X.shape).astype(X.dtype, copy=False)
