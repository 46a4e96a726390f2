"""Inference in module calls whose rows do not depend on one another.

BLAS and oneDNN choose their kernels, and with them the order in which a
product's sums are taken, by the shape of the product: a row's output can
change, in its last bits, with the number of rows in its call (measured here:
MKL's float32 products on an AVX2 AMD EPYC give other bits for a lone row, or
for 2 or 3 rows (on two threads also 5, 6, 7, 9, 10 or 11), than for the same
row among 1,000; on AVX2
kernels also at 16, 32 and 48 rows for a 10-class head). scikit-learn's checks
ask that a row's prediction be the same alone as in any batch, in any order
(to 1e-7, under float32's own rounding). Padding every call to one fixed
chunk of rows guarantees it on every machine, but a lone row then pays for
the whole chunk: 64 rows of the default ``Autoencoder``, 4.7x the time of
scikit-learn's ``MLPRegressor`` of the same layers for one row (measured on an
AVX2 AMD EPYC; benchmarks/README.md).

So the row counts are measured instead, once per fitted network, method and
input shape, on the machine at hand (``probe``): the method runs on a probe
batch of ``max_rows`` random rows of several kinds and scales, then on slices
of it of each candidate row count (1 to 16, then steps of 1.5x and 2x up to
``max_rows``), at enough places in the batch to check 32 rows or more where it
has them, on one thread; the counts whose every output equals, bit for
bit, the same row's output in the whole batch are kept. An inference call is
then cut into calls of kept counts only (``RowPlan.calls``: the largest that
fits first; a remainder smaller than every kept count is padded with zero
rows to the smallest that holds it), each on one thread. A row's output is
therefore the same in whatever call it comes, as far as the machine's kernels
depend on shapes, which is what the probe measures: where every count passes,
a lone row costs one row; where only ``max_rows`` passes, this is the fixed
chunk again.

Kernels are chosen by shape, data type, device and threads, never by the
values; whether two of them give the same bits depends on the values, which
is why the probe's rows are of several kinds and many. The plan is measured
again for a new module (``initialize_module``) or another machine (it is not
saved with the model).
"""

import dataclasses
import math

import torch

# The probe's budget in multiply-adds (``max_rows`` is a third of it over a
# row's), once per fit and method: measured on one core of an AVX2 AMD EPYC,
# the first call of a fitted default Autoencoder 0.12 s, FeedForwardClassifier
# 0.20 s, ConvClassifier 0.67 s (later ones 2.3, 2.4 and 8.3 ms).
PROBE_WORK = 1e9

# The largest call: the rows of skorch's inference batches (``INFERENCE_BATCH_SIZE``
# in ``_net.py``), and at least 16 rows for the heaviest networks.
MAX_ROWS = 1024
MIN_MAX_ROWS = 16


def candidate_sizes(max_rows):
    """The row counts a probe tries: 1..16, then 24, 32, 48, ... up to
    ``max_rows`` (steps of at most 1.5x, so that padding a remainder wastes
    at most a third of a call), and ``max_rows`` itself, last."""
    sizes = list(range(1, min(16, max_rows) + 1))
    power = 16
    while power < max_rows:
        sizes += [s for s in (power * 3 // 2, power * 2) if s < max_rows]
        power *= 2
    return [*sizes, max_rows] if sizes[-1] != max_rows else sizes


def max_rows_for(work_per_sample):
    """The probe batch's rows for a network of ``work_per_sample``
    multiply-adds a row: the largest candidate that keeps the probe within
    ``PROBE_WORK``, between ``MIN_MAX_ROWS`` and ``MAX_ROWS``."""
    if not work_per_sample or work_per_sample <= 0:
        rows = MAX_ROWS
    else:
        rows = PROBE_WORK / (3 * work_per_sample)  # inf work: 0 rows
    rows = int(min(MAX_ROWS, max(MIN_MAX_ROWS, rows)))
    return max(s for s in candidate_sizes(MAX_ROWS) if s <= rows)


@dataclasses.dataclass(frozen=True)
class RowPlan:
    """The row counts of module calls that give every row its own output.

    ``sizes``: ascending; the last is the probe batch's ``max_rows``, which
    holds by definition (the reference).
    """

    sizes: tuple

    def calls(self, n):
        """``[(start, stop, rows)]``: rows ``start:stop`` of ``n`` go to the
        module in one call of ``rows`` rows (zero rows pad it past ``stop``)."""
        out, start = [], 0
        while start < n:
            left = n - start
            fitting = [s for s in self.sizes if s <= left]
            if fitting:
                out.append((start, start + fitting[-1], fitting[-1]))
                start += fitting[-1]
            else:  # a remainder smaller than every kept count
                out.append((start, n, min(s for s in self.sizes if s >= left)))
                start = n
        return out


def _outputs(out):
    """A call's outputs as a tuple of tensors (a tensor, or a dict of them)."""
    return tuple(out.values()) if isinstance(out, dict) else (out,)


def _same_rows(part, whole, start):
    """Whether every output of ``part`` equals rows ``start:`` of ``whole``,
    bit for bit (NaN never does: a network that gives NaN gets the fixed
    chunk)."""
    for p, w in zip(_outputs(part), _outputs(whole), strict=True):
        if not torch.equal(p, w[start : start + len(p)]):
            return False
    return True


def probe_rows(max_rows, row_shape, generator):
    """The probe batch: rows of every kind a network is given.

    Whether two kernels give the same bits depends on the values too: on an
    AVX2 AMD EPYC, a small ``ConvClassifier``'s lone row agreed with the
    whole batch on rows drawn from [0, 1) and not on rows three times as
    large. So each row is, at random, of uniform values in [0, 1) (images)
    or of Gaussian ones (standardised data, codes), at a scale of its own,
    from 0.14 to 20.
    """
    shape = (max_rows, *row_shape)
    uniform = torch.rand(shape, generator=generator)
    gaussian = torch.randn(shape, generator=generator)
    scale = torch.exp(torch.empty(max_rows).uniform_(-2, 3, generator=generator))
    gaussian_rows = torch.rand(max_rows, generator=generator) < 0.5
    by_row = (max_rows, *[1] * len(row_shape))  # broadcast over a row's values
    chosen = torch.where(gaussian_rows.reshape(by_row), gaussian, uniform)
    return chosen * scale.reshape(by_row)


# Rows each candidate count is checked on, where the probe batch has them: a
# count that gives other bits for some rows only is found (on the case of
# probe_rows, 38% to 85% of the lone rows, over three seeds of the network).
MIN_ROWS_CHECKED = 32


def places(rows, max_rows):
    """Where the slices of ``rows`` rows start in the probe batch: 0, then
    steps of a little more than ``rows`` (unaligned, and prime to the room
    there is, so that no two places are the same), enough to check
    ``MIN_ROWS_CHECKED`` rows where the batch has them; two places at least."""
    last = max_rows - rows + 1  # the starts there are room for
    n_places = min(last, max(2, -(-MIN_ROWS_CHECKED // rows)))
    step = rows + 1
    while math.gcd(step, last) != 1:
        step += 1
    return sorted({j * step % last for j in range(n_places)})


def probe(function, row_shape, dtype, device, max_rows):
    """The ``RowPlan`` of ``function`` (rows -> outputs) on this machine.

    Call it on one thread, in evaluation mode and without gradients, as the
    calls it plans run. The probe batch (``probe_rows``) is drawn from a
    generator of its own: torch's global one, which a fit's seed sets, is not
    touched.
    """
    generator = torch.Generator().manual_seed(0)
    X = probe_rows(max_rows, row_shape, generator).to(device=device, dtype=dtype)
    whole = function(X)
    kept = []
    for rows in candidate_sizes(max_rows)[:-1]:
        if all(
            _same_rows(function(X[start : start + rows].clone()), whole, start)
            for start in places(rows, max_rows)
        ):
            kept.append(rows)
    return RowPlan((*kept, max_rows))
