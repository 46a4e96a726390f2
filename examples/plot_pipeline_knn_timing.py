"""
==================================================
An autoencoder into k-NN, timed step by step
==================================================

The homework table "original vs encoded": k-nearest neighbours on raw pixels,
on PCA scores and on autoencoder codes, with the accuracy and the seconds each
step takes, from :func:`skfashion.timing.time_pipeline`.
"""

# %%
# Data: the Fashion-MNIST sample bundled with skfashion (3,000 training and
# 1,000 test images).
import matplotlib.pyplot as plt
from sklearn.decomposition import PCA
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline

from skfashion import Autoencoder
from skfashion.datasets import load_fashion_mnist_sample
from skfashion.plotting import show_figures
from skfashion.timing import time_pipeline

X, y = load_fashion_mnist_sample(return_X_y=True)
X_test, y_test = load_fashion_mnist_sample(subset="test", return_X_y=True)

# %%
# Three pipelines that end in the same 1-NN classifier.
pipelines = {
    "raw pixels": make_pipeline(KNeighborsClassifier(1)),
    "PCA-32": make_pipeline(PCA(32, random_state=0), KNeighborsClassifier(1)),
    "autoencoder-32": make_pipeline(
        Autoencoder((256,), 32, max_epochs=15, random_state=0),
        KNeighborsClassifier(1),
    ),
}
timings = {
    name: time_pipeline(p, X, y, X_test, y_test) for name, p in pipelines.items()
}
for name, timing in timings.items():
    print(f"--- {name}\n{timing}\n")

# %%
# Where the time goes: the representation's fit dominates the encoded rows,
# while 1-NN on 784 raw pixels pays at prediction time.
fig, ax = plt.subplots(figsize=(7, 3))
for i, (name, timing) in enumerate(timings.items()):
    left = 0.0
    for step in timing.steps:
        for part, seconds in (
            ("fit", step.fit_seconds + step.transform_train_seconds),
            ("predict", step.transform_test_seconds + step.predict_seconds),
        ):
            ax.barh(
                i,
                seconds,
                left=left,
                color="tab:blue" if part == "fit" else "tab:orange",
            )
            left += seconds
    ax.text(left, i, f"  {100 * timing.score:.1f}%", va="center")
ax.set_yticks(range(len(timings)), list(timings))
ax.set_xlabel("seconds (blue: training, orange: test)")
ax.set_title("1-NN test accuracy and time")
fig.tight_layout()
show_figures()  # a window, or PNG files where there is no display
