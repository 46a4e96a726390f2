"""
==================================================
Generated samples: autoencoder and VAE
==================================================

Decoding random codes. An autoencoder's codes are not distributed as N(0, I),
so decoding such draws (as course code often does) gives blurry, samey images; drawing
from a Gaussian fitted to the training codes does better. A
:class:`~skfashion.VariationalAutoencoder` is trained so that its codes stay
near its prior N(0, I), but they do not fill it: its ``sample`` draws from a
Gaussian mixture fitted to its training codes (its default, the last row), which lands
nearer the data than prior draws (the third).
"""

# %%
import matplotlib.pyplot as plt

from skfashion import Autoencoder, VariationalAutoencoder
from skfashion.datasets import load_mnist_sample
from skfashion.plotting import SamplesDisplay, show_figures

X, _ = load_mnist_sample(return_X_y=True)
ae = Autoencoder((256,), 16, max_epochs=30, random_state=0).fit(X)
vae = VariationalAutoencoder(n_components=16, max_epochs=30, random_state=0).fit(X)

# %%
fig, axes = plt.subplots(4, 1, figsize=(6, 9))
SamplesDisplay.from_estimator(
    ae, 16, random_state=0, distribution="standard", ax=axes[0]
)
SamplesDisplay.from_estimator(ae, 16, random_state=0, distribution="fitted", ax=axes[1])
SamplesDisplay.from_estimator(vae, 16, random_state=0, distribution="prior", ax=axes[2])
SamplesDisplay.from_estimator(
    vae, 16, random_state=0, distribution="mixture", ax=axes[3]
)
fig.tight_layout()
show_figures()  # a window, or PNG files where there is no display
