"""The variational face: an autoencoder whose code is a Gaussian posterior.

``BaseVariationalAutoencoder`` is the autoencoder face (``BaseAutoencoder``)
with a ``GaussianCode`` head on the family's encoder, the KL term of the
ELBO in the loss (the net reads the ``log_var`` output that the module
declares) and ``sample`` drawing from the prior N(0, I). It composes with any
family: ``VariationalAutoencoder`` is this face on the fully connected one,
``ConvVariationalAutoencoder`` on the convolutional one.
"""

from numbers import Real

from ._autoencoder_face import BaseAutoencoder
from ._validation import Number


class BaseVariationalAutoencoder(BaseAutoencoder):
    """The variational face, whatever the network (``beta`` and the prior)."""

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        "beta": [Number(Real, 0, None, closed="left")],
    }
    _code = "gaussian"

    def _net_kwargs(self, fitted):
        return {**super()._net_kwargs(fitted), "beta": self.beta}

    def sample(self, n_samples=1, *, random_state=None, distribution="prior"):
        """Generate new data by decoding codes drawn from the prior N(0, I).

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples.

        random_state : int, RandomState instance or None, default=None
            Seeds the draw of the codes.

        distribution : {'prior', 'standard', 'fitted'}, default='prior'
            'prior' (or its synonym 'standard', as in
            :meth:`Autoencoder.sample`) draws from N(0, I), the distribution
            the KL term pulls the codes towards; 'fitted' from the Gaussian
            fitted to the training posterior means.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
            Decoded samples, in the network's precision (float32, or float64
            under ``precision='float64'``).
        """
        if distribution not in ("prior", "standard", "fitted"):
            raise ValueError(
                "distribution must be 'prior', 'standard' or 'fitted', got "
                f"{distribution!r}."
            )
        return super().sample(
            n_samples,
            random_state=random_state,
            distribution="fitted" if distribution == "fitted" else "standard",
        )
