"""
==================================================
Reconstructions: autoencoder against PCA
==================================================

The first 15 test images above their reconstructions from 32 numbers each, by
an :class:`~skfashion.Autoencoder` and by PCA, and the autoencoder's learning
curve. With only the 3,000 sample images, a 784-256-32 autoencoder needs many
small steps to pull ahead of PCA: with batches of 32 at a learning rate of
2e-3 it reconstructs the test images better (the titles give both test MSEs).
"""

# %%
import matplotlib.pyplot as plt
from sklearn.decomposition import PCA

from skfashion import Autoencoder
from skfashion.datasets import load_fashion_mnist_sample
from skfashion.plotting import LearningCurveDisplay, ReconstructionDisplay, show_figures

X, _ = load_fashion_mnist_sample(return_X_y=True)
X_test, _ = load_fashion_mnist_sample(subset="test", return_X_y=True)

# %%
# Train with early stopping on a validation split, so that the learning curve
# shows the validation loss too.
ae = Autoencoder(
    (256,),
    n_components=32,
    lr_schedule=None,
    batch_size=32,
    learning_rate=2e-3,
    max_epochs=60,
    early_stopping=True,
    random_state=0,
)
ae.fit(X)

# %%
# PCA's reconstructions are ``inverse_transform`` of ``transform``.
# ``ReconstructionDisplay.from_estimator(pca, X_test)`` would draw them as they
# are; here they are clipped to [0, 1], the pixel range that the autoencoder's
# sigmoid output keeps to, and handed to the Display as arrays.
pca = PCA(32, random_state=0).fit(X)
fig, axes = plt.subplots(2, 1, figsize=(9, 3.8))
ReconstructionDisplay.from_estimator(ae, X_test, ax=axes[0])
axes[0].set_title(f"autoencoder-32: {axes[0].get_title()}")
originals = X_test[:15]
pca_reconstructions = pca.inverse_transform(pca.transform(originals)).clip(0, 1)
mse = ((originals - pca_reconstructions) ** 2).mean()
ReconstructionDisplay(originals, pca_reconstructions, mse).plot(ax=axes[1])
axes[1].set_title(f"PCA-32: {axes[1].get_title()}")
fig.tight_layout()

# %%
LearningCurveDisplay.from_estimator(ae)
show_figures()  # a window, or PNG files where there is no display
