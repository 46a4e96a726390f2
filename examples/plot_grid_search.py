"""
==================================================
Grid search over an autoencoder and k-NN
==================================================

``GridSearchCV`` over a pipeline's autoencoder: the code size and the learning
rate, scored by the cross-validated accuracy of the k-NN that follows. The
test set is used once, for the best configuration.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline

from skfashion import Autoencoder
from skfashion.datasets import load_mnist_sample

X, y = load_mnist_sample(return_X_y=True)
X_test, y_test = load_mnist_sample(subset="test", return_X_y=True)

pipe = Pipeline(
    [
        ("ae", Autoencoder((128,), max_epochs=8, random_state=0)),
        ("knn", KNeighborsClassifier(3)),
    ]
)
grid = {"ae__n_components": [8, 16, 32], "ae__learning_rate": [1e-3, 3e-3]}
search = GridSearchCV(pipe, grid, cv=3).fit(X, y)
print("best:", search.best_params_, f"cv accuracy {search.best_score_:.3f}")
print(f"test accuracy of the best: {search.score(X_test, y_test):.3f}")

# %%
# The score landscape.
scores = search.cv_results_["mean_test_score"].reshape(
    len(grid["ae__n_components"]), len(grid["ae__learning_rate"])
)
fig, ax = plt.subplots(figsize=(4.5, 3.5))
image = ax.imshow(scores, cmap="viridis")
ax.set_xticks(range(2), [str(v) for v in grid["ae__learning_rate"]])
ax.set_yticks(range(3), [str(v) for v in grid["ae__n_components"]])
ax.set_xlabel("learning rate")
ax.set_ylabel("code size")
for (i, j), v in np.ndenumerate(scores):
    ax.text(j, i, f"{v:.3f}", ha="center", va="center", color="w")
fig.colorbar(image, label="cv accuracy of 3-NN")
fig.tight_layout()
plt.show()
