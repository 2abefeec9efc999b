/* AVX-512 float32 activation kernels: 16 lanes, mask registers, SLEEF's
 * avx512f vector math. Compiled with -mavx512f; called only when the CPU has it. */
#include <immintrin.h>
#include <math.h>
#include <sleef.h>
#include <stdint.h>

#include "act/kernels.h"

#define W 16
typedef __m512 V;
typedef __mmask16 M;

static inline V vload(const float *p) { return _mm512_loadu_ps(p); }
static inline void vstore(float *p, V v) { _mm512_storeu_ps(p, v); }
static inline void vstream(float *p, V v) { _mm512_stream_ps(p, v); }
static inline V vset(float f) { return _mm512_set1_ps(f); }
static inline V vadd(V a, V b) { return _mm512_add_ps(a, b); }
static inline V vsub(V a, V b) { return _mm512_sub_ps(a, b); }
static inline V vmul(V a, V b) { return _mm512_mul_ps(a, b); }
static inline V vdiv(V a, V b) { return _mm512_div_ps(a, b); }
static inline V vfma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
static inline V vabs(V a) { return _mm512_abs_ps(a); }
static inline V vmax0(V a) { return _mm512_max_ps(a, _mm512_setzero_ps()); }
static inline M vgt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
static inline M vge(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
static inline M vlt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
static inline M vle(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ); }
static inline M veq(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
static inline M mand(M a, M b) { return _kand_mask16(a, b); }
static inline M mor(M a, M b) { return _kor_mask16(a, b); }
/* m ? b : a, lane by lane */
static inline V vsel(M m, V a, V b) { return _mm512_mask_blend_ps(m, a, b); }
/* c - a*b */
static inline V vfnma(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }
/* x86's min and max: the second operand when either is NaN */
static inline V vmin(V a, V b) { return _mm512_min_ps(a, b); }
static inline V vmax(V a, V b) { return _mm512_max_ps(a, b); }
static inline V vnegabs(V a) { return _mm512_or_ps(a, _mm512_set1_ps(-0.0f)); }
/* p * 2^n for integral n: VSCALEFPS rounds once, to inf, 0 or a subnormal */
/* 1/d for finite d >= 1: a 14-bit estimate and one Newton step */
static inline V vrecip(V d)
{
    V r = _mm512_rcp14_ps(d);
    return _mm512_fmadd_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(1.0f)), r);
}
static inline V vexp(V a) { return Sleef_expf16_u10avx512f(a); }
static inline V vlog1p(V a) { return Sleef_log1pf16_u10avx512f(a); }
static inline V vtanh(V a) { return Sleef_tanhf16_u35avx512f(a); }

/* lowbias32 twice, keyed: the same bits as al_hash_u32 for each lane. */
static inline __m512i lowbias(__m512i x)
{
    x = _mm512_xor_si512(x, _mm512_srli_epi32(x, 16));
    x = _mm512_mullo_epi32(x, _mm512_set1_epi32(0x7feb352d));
    x = _mm512_xor_si512(x, _mm512_srli_epi32(x, 15));
    x = _mm512_mullo_epi32(x, _mm512_set1_epi32((int)0x846ca68bU));
    return _mm512_xor_si512(x, _mm512_srli_epi32(x, 16));
}
static inline V vhash_uniform(al_hash_key key, uint32_t base)
{
    __m512i idx = _mm512_add_epi32(_mm512_set1_epi32((int)base),
                                   _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    __m512i h = lowbias(_mm512_xor_si512(idx, _mm512_set1_epi32((int)key.lo)));
    h = lowbias(_mm512_xor_si512(h, _mm512_set1_epi32((int)key.hi)));
    return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(h, 8)), _mm512_set1_ps(0x1.0p-24f));
}

static inline float vhsum(V a) { return _mm512_reduce_add_ps(a); }

#include "act/kernels.inc"

const al_kernels al_kernels_avx512 = {kernel_pairs, prelu_backward_any, map_erf, map_exp};
