"""The variational face: an autoencoder whose code is a Gaussian posterior.

``BaseVariationalAutoencoder`` is the autoencoder face (``BaseAutoencoder``)
with a ``GaussianCode`` head on the family's encoder, the KL term of the
ELBO in the loss (``KLDivergence``, which the face gives the net as its
``code_penalty``) and ``sample`` drawing from a Gaussian mixture fitted to the
training codes (or from the prior N(0, I)). It composes with any family:
``VariationalAutoencoder`` is this face on the fully connected one,
``ConvVariationalAutoencoder`` on the convolutional one.

Why a mixture: the codes a VAE uses (the aggregate posterior) are not N(0, I),
whatever the KL term does, and prior codes that fall where no training code
lies decode to images unlike any (Ghosh et al. 2020, "From variational to
deterministic autoencoders", fit the mixture ex post, as here).
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._autoencoder_face import BaseAutoencoder
from ._state import array
from ._validation import Number, check_n_samples


class KLDivergence:
    """The ELBO's second term, per sample: ``beta`` KL(q(z | x) || N(0, I)).

    From the module's named outputs ``code`` (the posterior mean) and
    ``log_var`` (``GaussianCode``); summed over the code and divided by the
    number of values of a sample, to match the per-value mean of the
    reconstruction term: the ELBO per pixel.
    """

    def __init__(self, beta):
        self.beta = beta

    def __call__(self, outputs, n_values):  # -> (n,)
        mean, log_var = outputs["code"], outputs["log_var"]  # (n, k) each
        kl = 0.5 * (mean.pow(2) + log_var.exp() - 1 - log_var).sum(dim=1)
        return self.beta * kl / n_values


class BaseVariationalAutoencoder(BaseAutoencoder):
    """The variational face, whatever the network (``beta``, the prior and the
    codes' mixture)."""

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        "beta": [Number(Real, 0, None, closed="left")],
        "sample_mixture": [Number(Integral, 1, None, closed="left"), None],
    }
    _code = "gaussian"

    def _net_kwargs(self, fitted):
        return {**super()._net_kwargs(fitted), "code_penalty": KLDivergence(self.beta)}

    def _fitted_spec(self):
        required, optional = super()._fitted_spec()
        mixture = {
            "code_mixture_weights_": array("f", 1),
            "code_mixture_means_": array("f", 2),
            "code_mixture_covariances_": array("f", 3),
        }
        return required, {**optional, **mixture}

    def _fitted_agree(self, fitted):
        agree = super()._fitted_agree(fitted)
        names = ("code_mixture_weights_", "code_mixture_means_")
        names += ("code_mixture_covariances_",)
        present = [name in fitted for name in names]
        if not any(present):
            return agree
        if not all(present):
            return [*agree, ("code_mixture_weights_", False)]
        weights, n = fitted[names[0]], self.n_components
        k = len(weights)
        return [
            *agree,
            # what sample draws the Gaussians by: a distribution
            (
                "code_mixture_weights_",
                k >= 1 and (weights >= 0).all() and abs(weights.sum() - 1) < 1e-3,
            ),
            ("code_mixture_means_", fitted[names[1]].shape == (k, n)),
            ("code_mixture_covariances_", fitted[names[2]].shape == (k, n, n)),
        ]

    def _code_density(self, codes, fitted):
        density = super()._code_density(codes, fitted)
        if self.sample_mixture is None:
            return density
        if self.sample_mixture > len(codes):
            warnings.warn(
                f"sample_mixture={self.sample_mixture} Gaussians, but the fit had "
                f"{len(codes)} training images: the codes' mixture has "
                f"{len(codes)} (one an image, so sample() draws near copies of "
                "them). Fit on more images, or set sample_mixture to "
                f"{max(1, len(codes) // 10)} or fewer.",
                UserWarning,
                stacklevel=2,
            )
        if len(codes) < 2:  # GaussianMixture needs two; one point, its own
            return {
                **density,
                "code_mixture_weights_": np.ones(1),
                "code_mixture_means_": codes.astype(np.float64),
                "code_mixture_covariances_": np.eye(codes.shape[1])[None] * 1e-6,
            }
        # As many Gaussians as asked, or as there are codes (a tiny fit). Full
        # covariances: the codes of a class are correlated. A mixture that
        # stops before it converges is still a density to draw from.
        mixture = GaussianMixture(
            min(self.sample_mixture, len(codes)),
            covariance_type="full",
            random_state=fitted["runtime_"].seed,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mixture.fit(codes)
        return {
            **density,
            "code_mixture_weights_": mixture.weights_,
            "code_mixture_means_": mixture.means_,
            "code_mixture_covariances_": mixture.covariances_,
        }

    def sample(self, n_samples=1, *, random_state=None, distribution="auto"):
        """Generate new data by decoding random codes.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples.

        random_state : int, RandomState instance or None, default=None
            Seeds the draw of the codes.

        distribution : {'auto', 'mixture', 'prior', 'standard', 'fitted'}, \
                default='auto'
            'mixture' draws from the Gaussian mixture fitted to the training
            posterior means (``code_mixture_*_``, ``sample_mixture`` Gaussians);
            'prior' (or its synonym 'standard', as in
            :meth:`Autoencoder.sample`) from N(0, I), the distribution the KL
            term pulls the codes towards; 'fitted' from the one Gaussian fitted
            to the training posterior means. 'auto' is 'mixture' when the fit
            made one (``sample_mixture`` not None), else 'prior'.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
            Decoded samples, in the network's precision (float32, or float64
            under ``precision='float64'``).
        """
        choices = ("auto", "mixture", "prior", "standard", "fitted")
        if distribution not in choices:
            raise ValueError(
                f"distribution must be one of {', '.join(map(repr, choices))}, "
                f"got {distribution!r}."
            )
        check_is_fitted(self)
        has_mixture = hasattr(self, "code_mixture_weights_")
        if distribution == "auto":
            distribution = "mixture" if has_mixture else "prior"
        if distribution != "mixture":
            return super().sample(
                n_samples,
                random_state=random_state,
                distribution="fitted" if distribution == "fitted" else "standard",
            )
        if not has_mixture:
            raise ValueError(
                "This model was fitted with sample_mixture=None, so it has no "
                "mixture to draw from: refit with sample_mixture=30 (the default), or "
                "use distribution='prior'."
            )
        n_samples = check_n_samples(n_samples)
        rng = check_random_state(random_state)
        weights = self.code_mixture_weights_
        # (k, d, d): each Gaussian's Cholesky factor, code = mean + L @ noise
        factors = np.linalg.cholesky(self.code_mixture_covariances_)
        component = rng.choice(len(weights), size=n_samples, p=weights / weights.sum())
        noise = rng.standard_normal((n_samples, factors.shape[1]))
        codes = self.code_mixture_means_[component] + np.einsum(
            "nij,nj->ni", factors[component], noise
        )
        return self.inverse_transform(codes)
