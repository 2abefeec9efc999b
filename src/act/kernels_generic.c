/* Portable float32 activation kernels: one lane, libm's math. The fallback
 * for CPUs without AVX2 and for builds with ACTLAB_MAX_ISA=generic. */
#include <math.h>
#include <stdint.h>

#include "act/kernels.h"

#define W 1
typedef float V;
typedef int M;

static inline V vload(const float *p) { return *p; }
static inline void vstore(float *p, V v) { *p = v; }
static inline void vstream(float *p, V v) { *p = v; }
static inline V vset(float f) { return f; }
static inline V vadd(V a, V b) { return a + b; }
static inline V vsub(V a, V b) { return a - b; }
static inline V vmul(V a, V b) { return a * b; }
static inline V vdiv(V a, V b) { return a / b; }
static inline V vfma(V a, V b, V c) { return fmaf(a, b, c); }
static inline V vabs(V a) { return fabsf(a); }
static inline V vmax0(V a) { return a > 0.0f ? a : 0.0f; }
static inline M vgt(V a, V b) { return a > b; }
static inline M vge(V a, V b) { return a >= b; }
static inline M vlt(V a, V b) { return a < b; }
static inline M vle(V a, V b) { return a <= b; }
static inline M veq(V a, V b) { return a == b; }
static inline M mand(M a, M b) { return a && b; }
static inline M mor(M a, M b) { return a || b; }
/* m ? b : a */
static inline V vsel(M m, V a, V b) { return m ? b : a; }
/* c - a*b */
static inline V vfnma(V a, V b, V c) { return fmaf(-a, b, c); }
/* as x86's min and max: the second operand when either is NaN */
static inline V vmin(V a, V b) { return a < b ? a : b; }
static inline V vmax(V a, V b) { return a > b ? a : b; }
static inline V vnegabs(V a) { return -fabsf(a); }
static inline V vrecip(V d) { return 1.0f / d; }
static inline V vexp(V a) { return expf(a); }
static inline V vlog1p(V a) { return log1pf(a); }
static inline V vtanh(V a) { return tanhf(a); }
static inline V vhash_uniform(al_hash_key key, uint32_t base) { return al_hash_uniform(key, base); }

static inline float vhsum(V a) { return a; }

#include "act/kernels.inc"

const al_kernels al_kernels_generic = {kernel_pairs, prelu_backward_any, map_erf, map_exp};
