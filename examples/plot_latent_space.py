"""
==================================================
The latent space
==================================================

An autoencoder's 16-dimensional codes of the Fashion-MNIST test sample,
projected to two dimensions with PCA and with t-SNE and coloured by class.
Footwear, trousers and bags separate; the upper-body garments overlap.
"""

# %%
import matplotlib.pyplot as plt

from skfashion import Autoencoder
from skfashion.datasets import load_fashion_mnist_sample
from skfashion.plotting import LatentSpaceDisplay, show_figures

train = load_fashion_mnist_sample()
test = load_fashion_mnist_sample(subset="test")
ae = Autoencoder((256,), 16, max_epochs=20, random_state=0).fit(train.data)

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 5))
for ax, method in zip(axes, ["pca", "tsne"]):
    LatentSpaceDisplay.from_estimator(
        ae,
        test.data,
        test.target,
        method=method,
        target_names=train.target_names,
        random_state=0,
        ax=ax,
    )
fig.tight_layout()
show_figures()  # a window, or PNG files where there is no display
