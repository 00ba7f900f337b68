"""Numerical routines, not formulas to study:

erf(xp, x)        the error function, which NumPy does not have, for the exact GELU
                  (ops/unary.py): the rational approximations of the Cephes library, the
                  same ones SciPy uses
upcast_half(x)    float16 arrays as float32: where the activations and softmax compute
"""

import numpy as np


def upcast_half(x):
    """A float16 array as float32 (a copy); any other array unchanged.

    float16 keeps 3 decimal digits and overflows past 65504: x^3 in GELU's tanh form overflows
    from |x| = 41, erf's polynomials much earlier, and a softmax over 70000 equal logits sums
    to inf. So GELU, sigmoid and the softmax family compute in float32 and round their result
    to float16 once, at the end, as PyTorch does on the CPU.
    """
    if x.dtype == _FLOAT16:
        return x.astype(_FLOAT32)
    return x


def erf(xp, x):
    """The error function, erf(x) = 2/sqrt(pi) * integral_0^x e^(-t^2) dt, to double precision.

    NumPy has no erf, so it is evaluated here with the rational approximations of the Cephes
    library (S. Moshier, public domain), the same ones SciPy uses:

        |x| <= 1:       erf(x)  = x T(x^2) / U(x^2)
        1 < |x| < 8:    erfc(x) = e^(-x^2) P(|x|) / Q(|x|),   erf(x) = sign(x) (1 - erfc(|x|))
        |x| >= 8:       erfc(x) = e^(-x^2) R(|x|) / S(|x|)

    T, U, P, Q, R, S are the polynomials below (highest power first; U, Q, S have leading 1).

    float32 arrays take a shorter road (`_erf_float32`): float32 holds only ~7 digits, which one
    rational function reaches without the three branches above -- about 4x less work, and GELU,
    the hot spot of a Transformer's feed-forward layers, depends on it.
    """
    if x.dtype == _FLOAT32:
        return _erf_float32(x)
    a = xp.abs(x)
    z = x * x
    small = x * _polynomial(z, _ERF_T) / _polynomial(z, _ERF_U)
    tail = xp.where(
        a < 8,
        _polynomial(a, _ERFC_P) / _polynomial(a, _ERFC_Q),
        _polynomial(a, _ERFC_R) / _polynomial(a, _ERFC_S),
    )
    large = xp.sign(x) * (1 - xp.exp(-z) * tail)
    return xp.where(a <= 1, small, large)


def _polynomial(x, coefficients):
    """c0 x^n + c1 x^(n-1) + ... + cn, by Horner's rule (Python floats keep x's dtype)."""
    result = x * coefficients[0]  # a new array, owned here...
    result += coefficients[1]  # ...so every other step updates it in place (no temporaries)
    for c in coefficients[2:]:
        result *= x
        result += c
    return result


def _erf_float32(x):
    """erf for float32 arrays, accurate to a few float32 roundings (|error| < 5e-7).

        erf(x) ~= x A(x^2) / B(x^2),   x clipped to [-4, 4]   (erf(4) = 1 - 1.5e-8 rounds to 1)

    A (degree 6) and B (degree 4) are the minimax coefficients used for float32 by XLA and
    Eigen. One rational function and no branches: about 25 array operations instead of ~90.
    """
    x = x.clip(-4.0, 4.0)
    z = x * x
    result = _polynomial(z, _ERF32_A)  # a new array: finished in place
    result *= x
    result /= _polynomial(z, _ERF32_B)
    return result


_FLOAT16 = np.dtype("float16")
_FLOAT32 = np.dtype("float32")
_ERF32_A = (
    -2.72614225801306e-10,
    2.77068142495902e-08,
    -2.10102402082508e-06,
    -5.69250639462346e-05,
    -7.34990630326855e-04,
    -2.95459980854025e-03,
    -1.60960333262415e-02,
)
_ERF32_B = (
    -1.45660718464996e-05,
    -2.13374055278905e-04,
    -1.68282697438203e-03,
    -7.37332916720468e-03,
    -1.42647390514189e-02,
)


_ERF_T = (
    9.60497373987051638749e0,
    9.00260197203842689217e1,
    2.23200534594684319226e3,
    7.00332514112805075473e3,
    5.55923013010394962768e4,
)
_ERF_U = (
    1.0,
    3.35617141647503099647e1,
    5.21357949780152679795e2,
    4.59432382970980127987e3,
    2.26290000613890934246e4,
    4.92673942608635921086e4,
)
_ERFC_P = (
    2.46196981473530512524e-10,
    5.64189564831068821977e-1,
    7.46321056442269912687e0,
    4.86371970985681366614e1,
    1.96520832956077098242e2,
    5.26445194995477358631e2,
    9.34528527171957607540e2,
    1.02755188689515710272e3,
    5.57535335369399327526e2,
)
_ERFC_Q = (
    1.0,
    1.32281951154744992508e1,
    8.67072140885989742329e1,
    3.54937778887819891062e2,
    9.75708501743205489753e2,
    1.82390916687909736289e3,
    2.24633760818710981792e3,
    1.65666309194161350182e3,
    5.57535340817727675546e2,
)
_ERFC_R = (
    5.64189583547755073984e-1,
    1.27536670759978104416e0,
    5.01905042251180477414e0,
    6.16021097993053585195e0,
    7.40974269950448939160e0,
    2.97886665372100240670e0,
)
_ERFC_S = (
    1.0,
    2.26052863220117276590e0,
    9.39603524938001434673e0,
    1.20489539808096656605e1,
    1.70814450747565897222e1,
    9.60896809063285878198e0,
    3.36907645100081516050e0,
)
