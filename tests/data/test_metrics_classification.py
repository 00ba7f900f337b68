"""Classification metrics against confusion matrices counted by hand."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.metrics import accuracy, confusion_matrix, f1_score, precision, recall

# A binary example. Position by position:
#   true: 0 1 1 0 1 1 0 0 1 1
#   pred: 0 1 0 0 1 1 1 0 0 1
#         TN TP FN TN TP TP FP TN FN TP   -> TP=4, FP=1, FN=2, TN=3
Y_TRUE = [0, 1, 1, 0, 1, 1, 0, 0, 1, 1]
Y_PRED = [0, 1, 0, 0, 1, 1, 1, 0, 0, 1]


def test_binary_by_hand():
    np.testing.assert_array_equal(confusion_matrix(Y_TRUE, Y_PRED), [[3, 1], [2, 4]])
    assert accuracy(Y_TRUE, Y_PRED) == pytest.approx(7 / 10)
    assert precision(Y_TRUE, Y_PRED) == pytest.approx(4 / 5)
    assert recall(Y_TRUE, Y_PRED) == pytest.approx(4 / 6)
    assert f1_score(Y_TRUE, Y_PRED) == pytest.approx(8 / 11)  # 2*0.8*(2/3) / (0.8 + 2/3)


def test_binary_with_the_other_class_as_positive():
    # class 0 as positive: TP=3 (TN above), FP=2 (FN above), FN=1 (FP above)
    assert precision(Y_TRUE, Y_PRED, pos_label=0) == pytest.approx(3 / 5)
    assert recall(Y_TRUE, Y_PRED, pos_label=0) == pytest.approx(3 / 4)
    assert f1_score(Y_TRUE, Y_PRED, pos_label=0) == pytest.approx(2 / 3)


# Three classes. Confusion matrix by hand (rows true, columns predicted):
#            pred 0  pred 1  pred 2
#   true 0      2       1       0
#   true 1      0       2       1
#   true 2      1       0       1
MULTI_TRUE = [0, 0, 0, 1, 1, 1, 2, 2]
MULTI_PRED = [0, 0, 1, 1, 1, 2, 0, 2]


def test_multiclass_macro_by_hand():
    np.testing.assert_array_equal(
        confusion_matrix(MULTI_TRUE, MULTI_PRED), [[2, 1, 0], [0, 2, 1], [1, 0, 1]]
    )
    # per class precision = diagonal / column sum: 2/3, 2/3, 1/2
    # per class recall    = diagonal / row sum:    2/3, 2/3, 1/2
    # per class F1: 2/3, 2/3, 1/2
    assert accuracy(MULTI_TRUE, MULTI_PRED) == pytest.approx(5 / 8)
    macro = (2 / 3 + 2 / 3 + 1 / 2) / 3
    assert precision(MULTI_TRUE, MULTI_PRED, average="macro") == pytest.approx(macro)
    assert recall(MULTI_TRUE, MULTI_PRED, average="macro") == pytest.approx(macro)
    assert f1_score(MULTI_TRUE, MULTI_PRED, average="macro") == pytest.approx(macro)


def test_macro_f1_is_the_mean_of_per_class_f1():
    # true 0 0 0 0 1 1, pred 0 0 0 1 1 1:
    #   class 0: P = 3/3, R = 3/4, F1 = 6/7;   class 1: P = 2/3, R = 2/2, F1 = 4/5
    y_true, y_pred = [0, 0, 0, 0, 1, 1], [0, 0, 0, 1, 1, 1]
    assert precision(y_true, y_pred, average="macro") == pytest.approx((1 + 2 / 3) / 2)
    assert recall(y_true, y_pred, average="macro") == pytest.approx((3 / 4 + 1) / 2)
    assert f1_score(y_true, y_pred, average="macro") == pytest.approx((6 / 7 + 4 / 5) / 2)


def test_wrong_answers_score_zero_and_imbalance_fools_accuracy():
    assert accuracy([0, 1, 1], [1, 0, 0]) == 0.0
    assert f1_score([0, 1, 1], [1, 0, 0]) == 0.0
    # 19 negatives, 1 positive; the model always says "negative"
    y_true = [0] * 19 + [1]
    y_pred = [0] * 20
    assert accuracy(y_true, y_pred) == pytest.approx(0.95)
    assert recall(y_true, y_pred) == 0.0
    assert precision(y_true, y_pred) == 0.0  # no positive predictions: 0/0 reported as 0
    assert f1_score(y_true, y_pred) == 0.0
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred), [[19, 0], [1, 0]])


def test_positive_class_absent_everywhere_scores_zero():
    assert precision([0, 0], [0, 0]) == 0.0 and recall([0, 0], [0, 0]) == 0.0


def test_accepts_tensors_arrays_bools_and_integral_floats():
    y_true = mg.tensor(np.array(Y_TRUE))
    y_pred = mg.tensor(np.array(Y_PRED, dtype=np.float32))
    assert precision(y_true, y_pred) == pytest.approx(4 / 5)
    assert accuracy(np.array(Y_TRUE, dtype=bool), np.array(Y_PRED)) == pytest.approx(0.7)
    logits = mg.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, -1.0]])
    assert accuracy(mg.tensor([0, 1, 1]), logits.argmax(axis=1)) == pytest.approx(2 / 3)
    # (n, 1) column vectors, as a sigmoid model with a (n, 1) target produces them
    column = mg.tensor(np.array(Y_PRED, dtype=np.float32).reshape(-1, 1))
    assert recall(np.array(Y_TRUE).reshape(-1, 1), column) == pytest.approx(4 / 6)


def test_strict_device_labels():
    y = mg.tensor(np.array(Y_PRED), device="strict")
    assert accuracy(mg.tensor(np.array(Y_TRUE), device="strict"), y) == pytest.approx(0.7)


def test_confusion_matrix_with_num_classes():
    counts = confusion_matrix([0, 1], [1, 1], num_classes=4)
    assert counts.shape == (4, 4) and counts.dtype == np.int64
    assert counts.sum() == 2 and counts[0, 1] == 1 and counts[1, 1] == 1
    with pytest.raises(ValueError, match="num_classes"):
        confusion_matrix([0, 5], [0, 1], num_classes=3)
    with pytest.raises(ValueError, match=">= 0"):
        confusion_matrix([0, -1], [0, 1])


def test_mismatched_lengths_are_a_clear_error():
    with pytest.raises(ValueError, match="y_true has 3 labels but y_pred has 2"):
        accuracy([0, 1, 1], [0, 1])
    scores = mg.tensor(np.zeros((3, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="argmax"):
        precision([0, 1, 1], scores)


def test_other_input_errors():
    with pytest.raises(ValueError, match="probabilities"):
        accuracy([0, 1], [0.2, 0.9])
    with pytest.raises(ValueError, match="empty"):
        accuracy([], [])
    with pytest.raises(ValueError, match="macro"):
        precision(MULTI_TRUE, MULTI_PRED)  # three classes need average="macro"
    with pytest.raises(ValueError, match="average"):
        recall(Y_TRUE, Y_PRED, average="micro")
    with pytest.raises(TypeError, match="integer"):
        accuracy(["a", "b"], ["a", "b"])
