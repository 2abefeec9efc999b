/* A minimal test harness: CHECK records a failure with file:line and goes
 * on; the test's main returns check_summary(), non-zero when anything failed. */
#ifndef ACTLAB_TEST_CHECK_H
#define ACTLAB_TEST_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct check_state {
    int checks, failures;
} check_state;

static check_state check_global_state_for_this_test_binary;
#define CHECK_STATE (&check_global_state_for_this_test_binary)

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        CHECK_STATE->checks++;                                                \
        if (!(cond)) {                                                        \
            CHECK_STATE->failures++;                                          \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
        }                                                                     \
    } while (0)

/* Checks that |got - want| <= abs_tol + rel_tol * |want| (NaN equals NaN). */
#define CHECK_NEAR(got, want, abs_tol, rel_tol, ...)                          \
    do {                                                                      \
        double g_ = (double)(got), w_ = (double)(want);                       \
        int ok_ = (isnan(g_) && isnan(w_)) || g_ == w_ ||                     \
                  fabs(g_ - w_) <= (abs_tol) + (rel_tol) * fabs(w_);          \
        CHECK(ok_, __VA_ARGS__);                                              \
        if (!ok_)                                                             \
            fprintf(stderr, "    got %.9g, want %.9g (diff %.3g)\n", g_, w_, g_ - w_); \
    } while (0)

#define CHECK_SECTION(name) fprintf(stderr, "-- %s\n", name)

static inline int check_summary(const char *name)
{
    fprintf(stderr, "%s: %d checks, %d failed\n", name, CHECK_STATE->checks,
            CHECK_STATE->failures);
    return CHECK_STATE->failures == 0 ? 0 : 1;
}

#endif
