/* AVX2+FMA float32 activation kernels: 8 lanes, masks as vectors, SLEEF's
 * avx2 vector math. Compiled with -mavx2 -mfma; called only when the CPU has them. */
#include <immintrin.h>
#include <math.h>
#include <sleef.h>
#include <stdint.h>

#include "act/kernels.h"

#define W 8
typedef __m256 V;
typedef __m256 M;

static inline V vload(const float *p) { return _mm256_loadu_ps(p); }
static inline void vstore(float *p, V v) { _mm256_storeu_ps(p, v); }
static inline void vstream(float *p, V v) { _mm256_stream_ps(p, v); }
static inline V vset(float f) { return _mm256_set1_ps(f); }
static inline V vadd(V a, V b) { return _mm256_add_ps(a, b); }
static inline V vsub(V a, V b) { return _mm256_sub_ps(a, b); }
static inline V vmul(V a, V b) { return _mm256_mul_ps(a, b); }
static inline V vdiv(V a, V b) { return _mm256_div_ps(a, b); }
static inline V vfma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
static inline V vabs(V a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
static inline V vmax0(V a) { return _mm256_max_ps(a, _mm256_setzero_ps()); }
static inline M vgt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
static inline M vge(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
static inline M vlt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
static inline M vle(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LE_OQ); }
static inline M veq(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
static inline M mand(M a, M b) { return _mm256_and_ps(a, b); }
static inline M mor(M a, M b) { return _mm256_or_ps(a, b); }
/* m ? b : a, lane by lane */
static inline V vsel(M m, V a, V b) { return _mm256_blendv_ps(a, b, m); }
/* c - a*b */
static inline V vfnma(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); }
/* x86's min and max: the second operand when either is NaN */
static inline V vmin(V a, V b) { return _mm256_min_ps(a, b); }
static inline V vmax(V a, V b) { return _mm256_max_ps(a, b); }
static inline V vnegabs(V a) { return _mm256_or_ps(a, _mm256_set1_ps(-0.0f)); }
/* 2^k for integral k in [-126, 127], from its exponent bits */
static inline V pow2(__m256i k)
{
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k, _mm256_set1_epi32(127)), 23));
}
/* p * 2^n for integral n, in two steps of at most 2^127 (n is clamped to
 * [-252, 254], past which the result is 0 or inf anyway): the second
 * multiplication rounds once, to inf, 0 or a subnormal */
static inline V vrecip(V d) { return _mm256_div_ps(_mm256_set1_ps(1.0f), d); }
static inline V vexp(V a) { return Sleef_expf8_u10avx2(a); }
static inline V vlog1p(V a) { return Sleef_log1pf8_u10avx2(a); }
static inline V vtanh(V a) { return Sleef_tanhf8_u35avx2(a); }

static inline __m256i lowbias(__m256i x)
{
    x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 16));
    x = _mm256_mullo_epi32(x, _mm256_set1_epi32(0x7feb352d));
    x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 15));
    x = _mm256_mullo_epi32(x, _mm256_set1_epi32((int)0x846ca68bU));
    return _mm256_xor_si256(x, _mm256_srli_epi32(x, 16));
}
static inline V vhash_uniform(al_hash_key key, uint32_t base)
{
    __m256i idx = _mm256_add_epi32(_mm256_set1_epi32((int)base), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256i h = lowbias(_mm256_xor_si256(idx, _mm256_set1_epi32((int)key.lo)));
    h = lowbias(_mm256_xor_si256(h, _mm256_set1_epi32((int)key.hi)));
    return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(h, 8)), _mm256_set1_ps(0x1.0p-24f));
}

static inline float vhsum(V a)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

#include "act/kernels.inc"

const al_kernels al_kernels_avx2 = {kernel_pairs, prelu_backward_any, map_erf, map_exp};
