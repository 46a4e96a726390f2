"""
==================================================
Grid search over an autoencoder and k-NN
==================================================

``GridSearchCV`` over a pipeline's autoencoder: the code size and the learning
rate, scored by the cross-validated accuracy of the k-NN that follows. The
test set is used once, for the best configuration.
"""

# %%
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline

from skfashion import Autoencoder
from skfashion.datasets import load_mnist_sample
from skfashion.plotting import SearchLandscapeDisplay, show_figures

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
# The score landscape: the cross-validated accuracy of each pair of values,
# read from ``cv_results_`` (rows and columns are labelled by the values the
# search tried, whatever the order of the grid's keys).
SearchLandscapeDisplay.from_search(
    search, x="ae__learning_rate", y="ae__n_components", title="cv accuracy of 3-NN"
)
show_figures()  # a window, or PNG files where there is no display
