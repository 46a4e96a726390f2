"""
==================================================
Where the classifier goes wrong
==================================================

A :class:`~skfashion.FeedForwardClassifier` on the Fashion-MNIST sample: its
learning curves, scikit-learn's confusion matrix with the class names, and
the misclassified test images titled "predicted / true". Shirts, T-shirts,
pullovers and coats are the usual confusions.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.metrics import ConfusionMatrixDisplay

from skfashion import FeedForwardClassifier
from skfashion.datasets import load_fashion_mnist_sample
from skfashion.plotting import (
    ClassDistributionDisplay,
    LearningCurveDisplay,
    MisclassifiedDisplay,
    show_figures,
)

train = load_fashion_mnist_sample()
test = load_fashion_mnist_sample(subset="test")
names = train.target_names
ClassDistributionDisplay.from_targets(train.target, target_names=names)

# %%
clf = FeedForwardClassifier(max_epochs=30, early_stopping=True, random_state=0)
clf.fit(train.data, train.target)
print(f"test accuracy: {clf.score(test.data, test.target):.3f}")
LearningCurveDisplay.from_estimator(clf)

# %%
fig, ax = plt.subplots(figsize=(7, 6))
ConfusionMatrixDisplay.from_estimator(
    clf,
    test.data,
    test.target,
    display_labels=names,
    xticks_rotation=45,
    ax=ax,
    colorbar=False,
)
fig.tight_layout()

# %%
MisclassifiedDisplay.from_estimator(clf, test.data, test.target, target_names=names)
show_figures()  # a window, or PNG files where there is no display
