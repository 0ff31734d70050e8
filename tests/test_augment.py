"""Data augmentation: random shifts and small rotations (course_lib.datasets.augment, course_lib.torch.augment).

Shapes, dtypes and labels are kept; a zero shift and angle is the identity; a shift moves a pixel
where it should; the same seed gives the same images; the PyTorch transform and the NumPy rule agree.
"""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.datasets import load_digits
from course_lib.datasets.augment import draw_shift_rotate, random_shift_rotate, shift_rotate


@pytest.fixture(scope="module")
def digits():
    return load_digits(seed=0)


def test_shapes_dtype_and_labels_are_kept(digits):
    X, y = digits.X_train[:50], digits.y_train[:50].copy()
    out = random_shift_rotate(X, np.random.default_rng(0), scaler=digits.scaler)
    assert out.shape == X.shape and out.dtype == X.dtype
    images = random_shift_rotate(X.reshape(-1, 8, 8), np.random.default_rng(0), scaler=None)
    assert images.shape == (50, 8, 8)
    assert np.array_equal(y, digits.y_train[:50])  # nothing touches the labels
    assert not np.allclose(out, X)                  # and the images did change


def test_zero_shift_and_angle_is_the_identity(digits):
    X = digits.X_train[:40]
    same = random_shift_rotate(X, np.random.default_rng(1), max_shift=0, max_angle=0, scaler=digits.scaler)
    np.testing.assert_allclose(same, X, rtol=0, atol=1e-5)  # float32 round trip through the scaler
    raw = np.random.default_rng(2).normal(size=(6, 8, 8))
    assert np.array_equal(shift_rotate(raw, np.zeros((6, 2)), np.zeros(6)), raw)


def test_a_shift_moves_pixels_and_fills_the_background():
    image = np.zeros((1, 8, 8))
    image[0, 2, 3] = 5.0
    moved = shift_rotate(image, [(1, -2)], [0.0], fill=0.0)[0]
    assert moved[3, 1] == 5.0 and moved.sum() == 5.0
    edge = np.ones((1, 8, 8))
    shifted = shift_rotate(edge, [(0, 1)], [0.0], fill=-1.0)[0]
    assert np.all(shifted[:, 0] == -1.0) and np.all(shifted[:, 1:] == 1.0)


def test_a_rotation_by_90_degrees_turns_a_bar():
    bar = np.zeros((1, 9, 9))
    bar[0, 1:8, 4] = 1.0                 # vertical, through the centre (4, 4)
    turned = shift_rotate(bar, [(0, 0)], [90.0])[0]
    np.testing.assert_allclose(turned[4, 1:8], 1.0, atol=1e-12)  # now horizontal
    assert abs(turned.sum() - 7.0) < 1e-9


def test_parameters_stay_in_their_ranges():
    rng = np.random.default_rng(3)
    draws = [draw_shift_rotate(rng, max_shift=2, max_angle=15.0) for _ in range(2000)]
    shifts = np.array([s for s, _ in draws])
    angles = np.array([a for _, a in draws])
    assert set(np.unique(shifts)) == {-2, -1, 0, 1, 2}
    assert np.abs(angles).max() <= 15.0 and angles.min() < -14 and angles.max() > 14


def test_the_same_seed_gives_the_same_images(digits):
    X = digits.X_train[:30]
    a = random_shift_rotate(X, np.random.default_rng(7), scaler=digits.scaler)
    b = random_shift_rotate(X, np.random.default_rng(7), scaler=digits.scaler)
    c = random_shift_rotate(X, np.random.default_rng(8), scaler=digits.scaler)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    # image by image: a batch call equals per-sample calls with the same generator
    rng = np.random.default_rng(7)
    one_by_one = np.concatenate([random_shift_rotate(X[i:i + 1], rng, scaler=digits.scaler) for i in range(len(X))])
    assert np.array_equal(a, one_by_one)


def test_bad_input_is_refused_with_the_expected_shape():
    with pytest.raises(ValueError, match=r"\(N, 64\) or \(N, 8, 8\)"):
        random_shift_rotate(np.zeros((3, 63)), np.random.default_rng(0))
    with pytest.raises(ValueError, match="max_shift and max_angle must be >= 0"):
        random_shift_rotate(np.zeros((3, 64)), np.random.default_rng(0), max_shift=-1)


def test_torch_transform_agrees_with_numpy(digits):
    torch = pytest.importorskip("torch")

    from course_lib.torch.augment import RandomShiftRotate

    X = digits.X_train[:25]
    expected = random_shift_rotate(X, np.random.default_rng(11), scaler=digits.scaler)
    transform = RandomShiftRotate(scaler=digits.scaler, seed=11)
    got = np.stack([transform(torch.from_numpy(x)).numpy() for x in X])
    assert got.dtype == X.dtype
    np.testing.assert_array_equal(got, expected)


def test_in_a_dataset_workers_draw_new_augmentations_every_epoch_and_repeat_with_a_seeded_loader(digits):
    """The transform draws from the generator ArrayDataset hands it: with the worker's own seed at
    every epoch (a generator held by the transform would be copied into every worker as it is)."""
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader

    from course_lib.torch.augment import RandomShiftRotate
    from course_lib.torch.data import ArrayDataset

    X, y = digits.X_train[:16], digits.y_train[:16]

    def two_epochs(loader_seed):
        dataset = ArrayDataset(X, y, transform=RandomShiftRotate(scaler=digits.scaler))
        loader = DataLoader(dataset, batch_size=16, num_workers=1,
                            generator=torch.Generator().manual_seed(loader_seed))
        batches = [next(iter(loader)) for _ in range(2)]
        assert torch.equal(batches[0][1], torch.as_tensor(y))  # labels untouched
        return [xb.numpy() for xb, _ in batches]

    first, second = two_epochs(0)
    assert first.shape == (16, 64) and not np.array_equal(first, second), "an epoch repeated the last one's draws"
    again = two_epochs(0)
    np.testing.assert_array_equal(again[0], first)
    np.testing.assert_array_equal(again[1], second)
    assert not np.array_equal(two_epochs(1)[0], first)
