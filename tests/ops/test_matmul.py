"""Gemm, MatMul and Einsum: MACs and the non-MAC FLOPs, derived by hand."""

from __future__ import annotations

import pytest

from costcalc.ops import Work
from costcalc.ops.common import FormulaError

from .builders import UNKNOWN, const, work

# ---- Gemm ---------------------------------------------------------------------------


def test_gemm_linear_layer_with_bias() -> None:
    # A (M=7, K=11) x B (K=11, N=13): MACs = 7*13*11 = 1,001
    # bias add per output element: 7*13 = 91
    w = work("Gemm", [(7, 11), const(11, 13), const(13)], [(7, 13)])
    assert w == Work(1001, 91)


def test_gemm_transposes_select_m_k_n() -> None:
    # transA: A (11, 7) is (K, M) -> M=7, K=11; transB: B (13, 11) is (N, K) -> N=13
    # MACs = 7*13*11 = 1,001; no C -> no other FLOPs
    w = work("Gemm", [(11, 7), const(13, 11)], [(7, 13)], transA=1, transB=1)
    assert w == Work(1001, 0)


@pytest.mark.parametrize(
    ("a", "b", "attrs"),
    [
        # transA only: A (11, 7) is (K=11, M=7), B (11, 13) is (K, N=13)
        ((11, 7), (11, 13), {"transA": 1}),
        # transB only: A (7, 11) is (M, K), B (13, 11) is (N=13, K=11)
        ((7, 11), (13, 11), {"transB": 1}),
    ],
)
def test_gemm_each_transpose_alone(a: tuple, b: tuple, attrs: dict) -> None:
    # MACs = 7*13*11 = 1,001
    assert work("Gemm", [a, const(*b)], [(7, 13)], **attrs) == Work(1001, 0)


def test_gemm_alpha_and_beta_scale_each_output_element() -> None:
    # per output element: alpha multiply (1) + C add (1) + beta multiply (1) = 3
    # 3 * 7*13 = 273; MACs 7*13*11 = 1,001
    w = work("Gemm", [(7, 11), (11, 13), (7, 13)], [(7, 13)], alpha=0.5, beta=2.0)
    assert w == Work(1001, 273)


def test_gemm_beta_zero_ignores_c() -> None:
    # beta = 0: C contributes nothing; alpha = 1: no scaling -> 0 other FLOPs
    assert work("Gemm", [(7, 11), (11, 13), (7, 13)], [(7, 13)], beta=0.0) == Work(1001, 0)


def test_gemm_scalar_c_is_added_per_output_element() -> None:
    # C of shape () broadcast to (7, 13): still one add per output element = 91
    assert work("Gemm", [(7, 11), (11, 13), ()], [(7, 13)]) == Work(1001, 91)


def test_gemm_k_mismatch_is_an_error() -> None:
    # A gives K=11, B gives K=12
    with pytest.raises(FormulaError, match=r"Gemm node 'n0'.*K=11.*K=12"):
        work("Gemm", [(7, 11), (12, 13)], [(7, 13)])


def test_gemm_missing_transpose_is_an_error() -> None:
    # B (13, 11) without transB means K=13, but A gives K=11
    with pytest.raises(FormulaError, match="Gemm"):
        work("Gemm", [(7, 11), (13, 11)], [(7, 13)])


def test_gemm_c_that_does_not_broadcast_is_an_error() -> None:
    # C (7,) aligns with N=13 on the right: 7 != 13
    with pytest.raises(FormulaError, match=r"Gemm node 'n0'.*broadcast"):
        work("Gemm", [(7, 11), (11, 13), (7,)], [(7, 13)])


def test_gemm_c_larger_than_the_output_is_an_error() -> None:
    # C (3, 7, 13) would broadcast Y up to (3, 7, 13): C must broadcast one way, to (7, 13)
    with pytest.raises(FormulaError, match="C \\[3, 7, 13\\]"):
        work("Gemm", [(7, 11), (11, 13), (3, 7, 13)], [(7, 13)])


def test_gemm_wrong_output_shape_is_an_error() -> None:
    with pytest.raises(FormulaError, match="output"):
        work("Gemm", [(7, 11), (11, 13)], [(13, 7)])


def test_gemm_needs_2d_operands() -> None:
    with pytest.raises(FormulaError, match="2-D"):
        work("Gemm", [(3, 7, 11), (11, 13)], [(7, 13)])


# ---- MatMul -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "y", "macs"),
    [
        # batch 3, M=5, K=7, N=11: 3*5*7*11 = 1,155
        ((3, 5, 7), (7, 11), (3, 5, 11), 1155),
        # 1-D first operand is a row (1, 7): 7*11 = 77
        ((7,), (7, 11), (11,), 77),
        # 1-D second operand is a column (7, 1): 5*7 = 35
        ((5, 7), (7,), (5,), 35),
        # dot product: 7
        ((7,), (7,), (), 7),
        # batch (3, 1) with (9,) broadcasts to (3, 9): 3*9*5*7*11 = 10,395
        ((3, 1, 5, 7), (9, 7, 11), (3, 9, 5, 11), 10395),
        # row vector against a batch: 3*1*7*11 = 231
        ((7,), (3, 7, 11), (3, 11), 231),
        # batch against a column: 3*5*7*1 = 105
        ((3, 5, 7), (7,), (3, 5), 105),
    ],
)
def test_matmul_numpy_semantics(a: tuple, b: tuple, y: tuple, macs: int) -> None:
    assert work("MatMul", [a, b], [y]) == Work(macs, 0)


def test_matmul_inner_mismatch_is_an_error() -> None:
    with pytest.raises(FormulaError, match=r"MatMul node 'n0'.*inner"):
        work("MatMul", [(5, 7), (6, 11)], [(5, 11)])


def test_matmul_batch_mismatch_is_an_error() -> None:
    # batch 3 against batch 4: neither is 1
    with pytest.raises(FormulaError, match="broadcast"):
        work("MatMul", [(3, 5, 7), (4, 7, 11)], [(3, 5, 11)])


def test_matmul_wrong_output_shape_is_an_error() -> None:
    with pytest.raises(FormulaError, match="output"):
        work("MatMul", [(3, 5, 7), (7, 11)], [(3, 11, 5)])


def test_matmul_unknown_operand_shape_is_an_error() -> None:
    with pytest.raises(FormulaError, match="unknown"):
        work("MatMul", [UNKNOWN, (7, 11)], [(5, 11)])


# ---- Einsum -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("equation", "operands", "y", "macs"),
    [
        # b=3, i=5, j=7, k=11: 3*5*7*11 = 1,155
        ("bij,bjk->bik", [(3, 5, 7), (3, 7, 11)], (3, 5, 11), 1155),
        # attention scores: b=2, h=3, q=5, d=7, k=11: 2*3*5*7*11 = 2,310
        ("bhqd,bhkd->bhqk", [(2, 3, 5, 7), (2, 3, 11, 7)], (2, 3, 5, 11), 2310),
        # i=5, j=7, k=11: 5*7*11 = 385
        ("ij,jk->ik", [(5, 7), (7, 11)], (5, 11), 385),
        # batched dot: b=3, i=7: 3*7 = 21
        ("bi,bi->b", [(3, 7), (3, 7)], (3,), 21),
        # implicit output "ik" (letters used once, sorted): 5*7*11 = 385
        ("ij,jk", [(5, 7), (7, 11)], (5, 11), 385),
        # spaces are ignored: 385
        ("ij, jk -> ik", [(5, 7), (7, 11)], (5, 11), 385),
        # ellipsis dims (2, 3) and (3,) broadcast to (2, 3): 2*3*5*7*11 = 2,310
        ("...ij,...jk->...ik", [(2, 3, 5, 7), (3, 7, 11)], (2, 3, 5, 11), 2310),
        # outer product i=5, j=7: 35
        ("i,j->ij", [(5,), (7,)], (5, 7), 35),
    ],
)
def test_einsum_two_operands(equation: str, operands: list, y: tuple, macs: int) -> None:
    assert work("Einsum", operands, [y], equation=equation) == Work(macs, 0)


@pytest.mark.parametrize(
    ("equation", "x", "y", "flops"),
    [
        # a permutation moves data only
        ("ij->ji", (5, 7), (7, 5), 0),
        # full sum: every one of 5*7 = 35 elements is added once
        ("ij->", (5, 7), (), 35),
        # row sums: 35 adds
        ("ij->i", (5, 7), (5,), 35),
        # trace: the 7 diagonal elements are added
        ("ii->", (7, 7), (), 7),
        # diagonal extraction: no arithmetic
        ("ii->i", (7, 7), (7,), 0),
    ],
)
def test_einsum_one_operand(equation: str, x: tuple, y: tuple, flops: int) -> None:
    assert work("Einsum", [x], [y], equation=equation) == Work(0, flops)


def test_einsum_three_operands_are_unsupported() -> None:
    with pytest.raises(FormulaError, match=r"Einsum node 'n0'.*3 operands"):
        work("Einsum", [(5, 7), (7, 11), (11, 13)], [(5, 13)], equation="ij,jk,kl->il")


def test_einsum_index_size_mismatch_is_an_error() -> None:
    # j is 7 in the first operand, 8 in the second
    with pytest.raises(FormulaError, match="'j'"):
        work("Einsum", [(5, 7), (8, 11)], [(5, 11)], equation="ij,jk->ik")


def test_einsum_rank_mismatch_is_an_error() -> None:
    with pytest.raises(FormulaError, match="does not fit"):
        work("Einsum", [(3, 5, 7), (7, 11)], [(5, 11)], equation="ij,jk->ik")


def test_einsum_wrong_output_shape_is_an_error() -> None:
    with pytest.raises(FormulaError, match="output"):
        work("Einsum", [(5, 7), (7, 11)], [(11, 5)], equation="ij,jk->ik")


def test_einsum_operand_count_must_match_the_equation() -> None:
    with pytest.raises(FormulaError, match="2 operands"):
        work("Einsum", [(5, 7)], [(5, 11)], equation="ij,jk->ik")


def test_einsum_output_index_must_come_from_an_input() -> None:
    with pytest.raises(FormulaError, match="'z'"):
        work("Einsum", [(5, 7), (7, 11)], [(5, 11)], equation="ij,jk->iz")


def test_einsum_without_equation_is_an_error() -> None:
    with pytest.raises(FormulaError, match="equation"):
        work("Einsum", [(5, 7), (7, 11)], [(5, 11)])


def test_einsum_bad_subscript_is_an_error() -> None:
    with pytest.raises(FormulaError, match="subscript"):
        work("Einsum", [(5, 7), (7, 11)], [(5, 11)], equation="i1,jk->ik")
