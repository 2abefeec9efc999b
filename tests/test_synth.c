/* The playground's synthetic datasets against the TensorFlow Playground's
 * definitions (dataset.ts): each label re-derived from its rule, the shapes'
 * radii and centres, the noise-free regression targets, the Gaussians'
 * moments, determinism under a seed, and the seven features. */
#include <math.h>
#include <stdlib.h>

#include "actlab/synth.h"
#include "check.h"

#define N 2000

static al_synth_point pts[N];

static void generate(al_synth_kind k, double noise, uint64_t seed)
{
    al_error err = {0};
    CHECK(al_synth_generate(k, N, noise, seed, pts, &err) == AL_OK, "%s: %s", al_synth_name(k), err.message);
}

static int count_label(double label)
{
    int n = 0;
    for (int i = 0; i < N; i++)
        n += pts[i].label == label;
    return n;
}

static void test_circle(void)
{
    CHECK_SECTION("circle");
    generate(AL_SYNTH_CIRCLE, 0, 1);
    int bad = 0;
    for (int i = 0; i < N; i++) {
        double r = hypot(pts[i].x1, pts[i].x2);
        /* +1 inside radius 2.5, -1 on the ring [3.5, 5] */
        if (pts[i].label > 0 ? r >= 2.5 : (r < 3.5 || r > 5))
            bad++;
    }
    CHECK(bad == 0, "%d points off their class's region", bad);
    CHECK(count_label(1) == N / 2 && count_label(-1) == N / 2, "half and half");
    generate(AL_SYNTH_CIRCLE, 0.5, 1);
    int flipped = 0;
    for (int i = 0; i < N; i++)
        flipped += (hypot(pts[i].x1, pts[i].x2) < 2.5) != (pts[i].label > 0);
    /* noise moves the point the label is read at, not the point itself */
    CHECK(flipped > N / 20 && flipped < N / 2, "noise 0.5 flips some labels: %d", flipped);
}

static void test_xor(void)
{
    CHECK_SECTION("xor");
    generate(AL_SYNTH_XOR, 0, 2);
    int bad = 0, gap = 0;
    for (int i = 0; i < N; i++) {
        double x = pts[i].x1, y = pts[i].x2;
        bad += (x * y >= 0 ? 1 : -1) != pts[i].label;
        gap += fabs(x) < 0.3 || fabs(y) < 0.3 || fabs(x) > 5.3 || fabs(y) > 5.3;
    }
    CHECK(bad == 0, "%d labels differ from sign(x1 x2)", bad);
    CHECK(gap == 0, "%d points inside the 0.3 padding or past 5.3", gap);
}

static void test_gauss(void)
{
    CHECK_SECTION("gauss");
    for (int noisy = 0; noisy < 2; noisy++) {
        generate(AL_SYNTH_GAUSS, noisy ? 0.5 : 0, 3);
        double want_var = noisy ? 4.0 : 0.5;
        for (int cls = -1; cls <= 1; cls += 2) {
            double s = 0, ss = 0;
            int n = 0;
            for (int i = 0; i < N; i++)
                if (pts[i].label == cls) {
                    s += pts[i].x1;
                    ss += pts[i].x1 * pts[i].x1;
                    n++;
                }
            double mean = s / n, var = ss / n - mean * mean;
            CHECK(n == N / 2, "class %d has %d points", cls, n);
            /* 1000 draws: the mean's standard error is sqrt(var / 1000) */
            CHECK(fabs(mean - 2.0 * cls) < 4 * sqrt(want_var / n), "class %d mean %g", cls, mean);
            CHECK(fabs(var / want_var - 1) < 0.2, "class %d variance %g, want %g", cls, var, want_var);
        }
    }
}

static void test_spiral(void)
{
    CHECK_SECTION("spiral");
    generate(AL_SYNTH_SPIRAL, 0, 4);
    /* noise-free: each point is r (sin t, cos t) with r = 5 i / n and
     * t = 1.75 * 2 pi i / n (+ pi for the -1 arm), so r and the angle agree */
    int bad = 0;
    for (int i = 0; i < N; i++) {
        double r = hypot(pts[i].x1, pts[i].x2);
        double t = 1.75 * 2 * 3.14159265358979323846 * r / 5 + (pts[i].label > 0 ? 0 : 3.14159265358979323846);
        double ex = r * sin(t), ey = r * cos(t);
        bad += hypot(ex - pts[i].x1, ey - pts[i].x2) > 1e-9 || r > 5;
    }
    CHECK(bad == 0, "%d points off their arm", bad);
    CHECK(count_label(1) == N / 2, "half on each arm");
}

static void test_regression(void)
{
    CHECK_SECTION("plane and multigauss");
    generate(AL_SYNTH_PLANE, 0, 5);
    int bad = 0;
    for (int i = 0; i < N; i++)
        bad += fabs(pts[i].label - (pts[i].x1 + pts[i].x2) / 10) > 1e-12 || fabs(pts[i].x1) > 6;
    CHECK(bad == 0, "%d plane targets differ from (x1 + x2) / 10", bad);
    CHECK(al_synth_is_regression(AL_SYNTH_PLANE) && !al_synth_is_regression(AL_SYNTH_XOR), "kinds");
    generate(AL_SYNTH_MULTI_GAUSS, 0, 6);
    static const double c[6][3] = {{-4, 2.5, 1}, {0, 2.5, -1}, {4, 2.5, 1}, {-4, -2.5, -1}, {0, -2.5, 1}, {4, -2.5, -1}};
    bad = 0;
    for (int i = 0; i < N; i++) {
        /* the bump of largest |value|: sign * max(0, 1 - d / 2) */
        double best = 0;
        for (int b = 0; b < 6; b++) {
            double v = c[b][2] * fmax(0, 1 - hypot(pts[i].x1 - c[b][0], pts[i].x2 - c[b][1]) / 2);
            if (fabs(v) > fabs(best))
                best = v;
        }
        bad += fabs(best - pts[i].label) > 1e-12;
    }
    CHECK(bad == 0, "%d multigauss targets differ", bad);
}

static void test_seed_and_errors(void)
{
    CHECK_SECTION("seed, shuffle and errors");
    static al_synth_point a[N], b[N];
    al_error err = {0};
    al_synth_generate(AL_SYNTH_SPIRAL, N, 0.3, 9, a, &err);
    al_synth_generate(AL_SYNTH_SPIRAL, N, 0.3, 9, b, &err);
    CHECK(memcmp(a, b, sizeof a) == 0, "same seed, same points");
    al_synth_generate(AL_SYNTH_SPIRAL, N, 0.3, 10, b, &err);
    CHECK(memcmp(a, b, sizeof a) != 0, "another seed, other points");
    int runs = 0; /* shuffled: the classes are interleaved, not two blocks */
    for (int i = 1; i < N; i++)
        runs += a[i].label != a[i - 1].label;
    CHECK(runs > N / 4, "the points are shuffled (%d label changes)", runs);
    CHECK(al_synth_generate(AL_SYNTH_XOR, 1, 0, 0, a, &err) == AL_ERR_INVALID, "one point is refused");
    CHECK(al_synth_generate(AL_SYNTH_XOR, 10, 1.5, 0, a, &err) == AL_ERR_INVALID, "noise > 1 is refused");
    al_synth_kind k;
    CHECK(al_synth_parse("spirals", &k, &err) == AL_ERR_INVALID && strstr(err.message, "spiral"),
          "unknown names list the known ones: %s", err.message);
    for (int i = 0; i < AL_SYNTH_COUNT; i++)
        CHECK(al_synth_parse(al_synth_name((al_synth_kind)i), &k, &err) == AL_OK && (int)k == i, "name %d", i);
}

static void test_features(void)
{
    CHECK_SECTION("features and the dataset");
    double x1 = 1.25, x2 = -0.5;
    double want[AL_FEAT_COUNT] = {x1, x2, x1 * x1, x2 * x2, x1 * x2, sin(x1), sin(x2)};
    for (int f = 0; f < AL_FEAT_COUNT; f++) {
        CHECK(al_synth_feature_value((al_synth_feature)f, x1, x2) == want[f], "feature %d", f);
        al_synth_feature g;
        al_error err = {0};
        CHECK(al_synth_feature_parse(al_synth_feature_name((al_synth_feature)f), &g, &err) == AL_OK && (int)g == f,
              "feature name %d", f);
    }
    generate(AL_SYNTH_XOR, 0, 7);
    al_synth_feature feats[3] = {AL_FEAT_X1_TIMES_X2, AL_FEAT_X1, AL_FEAT_SIN_X2};
    al_dataset *ds = NULL;
    al_error err = {0};
    CHECK(al_synth_dataset("xor", pts, 100, feats, 3, &ds, &err) == AL_OK, "%s", err.message);
    if (ds) {
        const float *x = al_dataset_x(ds);
        const int32_t *y = al_dataset_y(ds);
        int bad = 0;
        for (int i = 0; i < 100; i++) {
            bad += x[i * 3] != (float)(pts[i].x1 * pts[i].x2) || x[i * 3 + 1] != (float)pts[i].x1 ||
                   x[i * 3 + 2] != (float)sin(pts[i].x2) || y[i] != (pts[i].label > 0);
        }
        CHECK(bad == 0, "%d rows differ", bad);
        CHECK(al_dataset_features(ds) == 3 && al_dataset_classes(ds) == 2, "shape");
    }
    al_dataset_free(ds);
    CHECK(al_synth_dataset("none", pts, 10, feats, 0, &ds, &err) == AL_ERR_INVALID, "no features is refused");
}

int main(void)
{
    test_circle();
    test_xor();
    test_gauss();
    test_spiral();
    test_regression();
    test_seed_and_errors();
    test_features();
    return check_summary("test_synth");
}
