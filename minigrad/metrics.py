"""Classification metrics: accuracy, precision, recall, F1 and the confusion matrix (F13).

All take `y_true` and `y_pred` as class labels (Tensors, NumPy arrays or lists of ints), not
scores: turn a model's outputs into labels first, e.g. `logits.argmax(axis=1)` or
`(probabilities > 0.5)`. Results are Python floats (the confusion matrix a NumPy array).

For one class c, counting over all samples:

    TP = predicted c, truly c     FP = predicted c, truly not c     FN = truly c, predicted not c

    precision = TP / (TP + FP)    of the samples we called c, how many are c?
    recall    = TP / (TP + FN)    of the samples that are c, how many did we find?
    F1        = 2 * precision * recall / (precision + recall)    their harmonic mean

A ratio whose denominator is 0 (no sample predicted as c, say) is reported as 0.0, as
scikit-learn does by default.

average="binary" reports the scores of the positive class `pos_label` (labels must be two
classes at most). average="macro" averages the per-class scores over every class that occurs in
y_true or y_pred, each class counting equally however rare it is; macro F1 is the mean of the
per-class F1 scores (not the F1 of macro precision and macro recall), as in scikit-learn.

Accuracy alone can mislead: on data with 95% negatives, always answering "negative" scores 0.95
accuracy and 0.0 recall. That is why spam filters and the like report all four (001 §4.3).
"""

import numpy as np

from minigrad.tensor import Tensor


def _labels(values, name):
    """Labels as a flat int64 NumPy array on the host, with a clear error for non-labels."""
    if isinstance(values, Tensor):
        values = values.numpy()
    try:
        array = np.asarray(values)
    except TypeError as error:  # e.g. a CuPy array, which refuses implicit copies to the host
        raise TypeError(
            f"{name}: pass labels as a Tensor, a NumPy array or a list ({error})"
        ) from None
    array = array.reshape(-1)
    if array.dtype.kind == "b":
        return array.astype(np.int64)
    if array.dtype.kind == "f":
        if not np.all(array == np.round(array)):
            raise ValueError(
                f"{name} must hold class labels (whole numbers), but it holds non-integer values "
                "such as probabilities; threshold or argmax them first"
            )
        return array.astype(np.int64)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer class labels, got dtype {array.dtype}")
    return array.astype(np.int64)


def _pair(y_true, y_pred):
    y_true = _labels(y_true, "y_true")
    y_pred = _labels(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}; they must have one "
            "label per sample each (if y_pred holds per-class scores, take argmax(axis=1) first)"
        )
    if len(y_true) == 0:
        raise ValueError("y_true and y_pred are empty: there is nothing to score")
    return y_true, y_pred


def accuracy(y_true, y_pred):
    """The fraction of samples whose predicted label is the true label."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true, y_pred, num_classes=None):
    """counts[i, j] = the number of samples of true class i that were predicted as class j.

    Labels must be 0, 1, ..., num_classes - 1 (num_classes defaults to the largest label + 1).
    The diagonal holds the correct predictions; row i sums to the number of samples of class i.
    Returns an int64 NumPy array of shape (num_classes, num_classes).
    """
    y_true, y_pred = _pair(y_true, y_pred)
    smallest = min(y_true.min(), y_pred.min())
    if smallest < 0:
        raise ValueError(f"confusion_matrix: labels must be >= 0, found {smallest}")
    largest = int(max(y_true.max(), y_pred.max()))
    if num_classes is None:
        num_classes = largest + 1
    elif largest >= num_classes:
        raise ValueError(
            f"confusion_matrix: found label {largest}, but num_classes={num_classes} allows only "
            f"0..{num_classes - 1}"
        )
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred), 1)  # add.at counts repeated (i, j) pairs every time
    return counts


def _ratio(numerator, denominator):
    """numerator / denominator elementwise, 0.0 where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    safe = np.where(denominator == 0, 1.0, denominator)
    return np.where(denominator == 0, 0.0, numerator / safe)


def _per_class_counts(y_true, y_pred):
    """(classes, TP, FP, FN): one entry per class that occurs in y_true or y_pred."""
    classes = np.union1d(y_true, y_pred)
    tp = np.array([np.sum((y_pred == c) & (y_true == c)) for c in classes])
    fp = np.array([np.sum((y_pred == c) & (y_true != c)) for c in classes])
    fn = np.array([np.sum((y_pred != c) & (y_true == c)) for c in classes])
    return classes, tp, fp, fn


def _scores(y_true, y_pred, average, pos_label):
    """Per-class (precision, recall, f1) reduced as `average` asks."""
    if average not in ("binary", "macro"):
        raise ValueError(f"average must be 'binary' or 'macro', got {average!r}")
    y_true, y_pred = _pair(y_true, y_pred)
    classes, tp, fp, fn = _per_class_counts(y_true, y_pred)
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = _ratio(2 * precision * recall, precision + recall)

    if average == "macro":
        return float(precision.mean()), float(recall.mean()), float(f1.mean())

    if len(classes) > 2:
        raise ValueError(
            f"average='binary' needs two classes at most, but the labels are {classes.tolist()}; "
            "use average='macro' for more classes"
        )
    if pos_label not in classes:
        return 0.0, 0.0, 0.0  # the positive class never occurs: no TP, nothing to find
    where = int(np.flatnonzero(classes == pos_label)[0])
    return float(precision[where]), float(recall[where]), float(f1[where])


def precision(y_true, y_pred, average="binary", pos_label=1):
    """TP / (TP + FP): how many of the predicted positives are right. See the module docstring."""
    return _scores(y_true, y_pred, average, pos_label)[0]


def recall(y_true, y_pred, average="binary", pos_label=1):
    """TP / (TP + FN): how many of the true positives were found. See the module docstring."""
    return _scores(y_true, y_pred, average, pos_label)[1]


def f1_score(y_true, y_pred, average="binary", pos_label=1):
    """2 * precision * recall / (precision + recall). See the module docstring."""
    return _scores(y_true, y_pred, average, pos_label)[2]
