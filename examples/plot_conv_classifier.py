"""
====================================================
Convolutions: ConvClassifier against a dense network
====================================================

A :class:`~skfashion.ConvClassifier` and a
:class:`~skfashion.FeedForwardClassifier` trained on the same 3,000 sample
images of Fashion-MNIST, and their learning curves. The convolutional network
takes the images as ``fetch_*().images`` gives them, (n, 28, 28), and sees each
as an image: its filters are shared across the picture, where the dense
network has to learn every pixel's weight on its own. The two have the
same face: ``predict``, ``predict_proba``, ``score``, labels of any kind.
"""

# %%
import matplotlib.pyplot as plt

from skfashion import ConvClassifier, FeedForwardClassifier
from skfashion.datasets import load_fashion_mnist_sample
from skfashion.plotting import LearningCurveDisplay, show_figures

train = load_fashion_mnist_sample()
test = load_fashion_mnist_sample(subset="test")

# %%
# Two blocks of two 3 x 3 convolutions (16 and 32 channels) with batch norm and
# max-pooling, then 128 hidden units; the rows of pixels work as well as the
# (n, 28, 28) images, since 784 is a square.
conv = ConvClassifier(
    (16, 32), dense_units=128, max_epochs=10, early_stopping=True, random_state=0
)
conv.fit(train.images, train.target)
dense = FeedForwardClassifier(max_epochs=30, early_stopping=True, random_state=0)
dense.fit(train.data, train.target)
for name, clf, X_test in (
    ("ConvClassifier", conv, test.images),
    ("FeedForwardClassifier", dense, test.data),
):
    print(f"{name}: test accuracy {clf.score(X_test, test.target):.3f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
LearningCurveDisplay.from_estimator(conv, ax=axes[0])
axes[0].set_title("ConvClassifier")
LearningCurveDisplay.from_estimator(dense, ax=axes[1])
axes[1].set_title("FeedForwardClassifier")
fig.tight_layout()
show_figures()  # a window, or PNG files where there is no display
