/* Programs (not the library) call al_prefer_avx512_blas first thing in main:
 * it must run before OpenBLAS is used, and it may re-execute the process. */
#ifndef ACTLAB_BASE_BLAS_ENV_H
#define ACTLAB_BASE_BLAS_ENV_H

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Debian's OpenBLAS (DYNAMIC_ARCH 0.3.21) takes recent AVX-512 CPUs such as
 * Zen 5 for Haswell and runs AVX2 kernels at half speed; some environments
 * even pin OPENBLAS_CORETYPE=Haswell. OpenBLAS reads the variable when it
 * loads, before main, so on an AVX-512 CPU whose coretype is unset or names a
 * core without AVX-512, it is set to SkylakeX and the program re-executed
 * once. ACTLAB_KEEP_BLAS_CORETYPE=1 keeps whatever the environment says. */
static inline int al_is_avx512_core(const char *core)
{
    static const char *const cores[] = {"skylakex", "cooperlake", "sapphirerapids"};
    for (size_t i = 0; i < sizeof cores / sizeof cores[0]; i++)
        if (strcasecmp(core, cores[i]) == 0)
            return 1;
    return 0;
}

static inline void al_prefer_avx512_blas(char **argv)
{
    const char *keep = getenv("ACTLAB_KEEP_BLAS_CORETYPE"), *core = getenv("OPENBLAS_CORETYPE");
    if ((keep && strcmp(keep, "1") == 0) || (core && al_is_avx512_core(core)) ||
        !__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512dq"))
        return;
    if (setenv("OPENBLAS_CORETYPE", "SkylakeX", 1) != 0)
        return;
    execv("/proc/self/exe", argv);
    /* exec failed: carry on with the kernels already loaded */
}

#endif
