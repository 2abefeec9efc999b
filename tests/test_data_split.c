/* The data module's transforms: the splits (tail, random, stratified) and
 * standardisation against values worked out by hand, and the batcher's
 * determinism, on datasets built in memory. (Readers: test_data.c.) */
#include "actlab/data.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* A dataset of count rows whose features are (row, 10 * row) and label row % 3. */
static al_dataset *numbered(size_t count)
{
    al_dataset *ds = NULL;
    al_error err = {0};
    const size_t shape[1] = {2};
    if (al_dataset_create("numbered", count, 1, shape, &ds, &err) != AL_OK) {
        fprintf(stderr, "%s\n", err.message);
        abort();
    }
    for (size_t i = 0; i < count; i++) {
        al_dataset_x_mut(ds)[2 * i] = (float)i;
        al_dataset_x_mut(ds)[2 * i + 1] = 10.0f * (float)i;
        al_dataset_y_mut(ds)[i] = (int32_t)(i % 3);
    }
    if (al_dataset_check_labels(ds, 0, &err) != AL_OK)
        abort();
    return ds;
}

static void test_split(void)
{
    CHECK_SECTION("split");
    al_dataset *ds = numbered(10), *train = NULL, *val = NULL;
    al_error err = {0};
    CHECK(al_dataset_classes(ds) == 3, "check_labels counts classes");
    al_status st = al_dataset_split(ds, 3, AL_SPLIT_LAST, 0, &train, &val, &err);
    CHECK(st == AL_OK, "last: %s", err.message);
    if (st == AL_OK) {
        CHECK(al_dataset_count(train) == 7 && al_dataset_count(val) == 3, "sizes");
        for (size_t i = 0; i < 7; i++)
            CHECK(al_dataset_x(train)[2 * i] == (float)i, "train row %zu", i);
        for (size_t i = 0; i < 3; i++)
            CHECK(al_dataset_x(val)[2 * i] == (float)(7 + i) &&
                      al_dataset_x(val)[2 * i + 1] == 10.0f * (float)(7 + i) &&
                      al_dataset_y(val)[i] == (int32_t)((7 + i) % 3), "validation row %zu", i);
        CHECK(al_dataset_classes(val) == 3, "classes kept");
        CHECK(strcmp(al_dataset_name(val), "numbered/validation") == 0, "name %s",
              al_dataset_name(val));
    }
    al_dataset_free(train);
    al_dataset_free(val);

    float first[4] = {0};
    for (int rep = 0; rep < 2; rep++) {
        st = al_dataset_split(ds, 4, AL_SPLIT_RANDOM, 1234, &train, &val, &err);
        CHECK(st == AL_OK, "random: %s", err.message);
        if (st != AL_OK)
            break;
        int seen[10] = {0};
        float prev = -1;
        for (size_t i = 0; i < 6; i++) {
            float v = al_dataset_x(train)[2 * i];
            CHECK(v > prev, "train keeps file order");
            prev = v;
            seen[(int)v]++;
            CHECK(al_dataset_y(train)[i] == (int32_t)((int)v % 3), "label follows its row");
        }
        prev = -1;
        for (size_t i = 0; i < 4; i++) {
            float v = al_dataset_x(val)[2 * i];
            CHECK(v > prev, "validation keeps file order");
            prev = v;
            seen[(int)v]++;
            if (rep == 0)
                first[i] = v;
            else
                CHECK(first[i] == v, "same seed, same split");
        }
        for (int i = 0; i < 10; i++)
            CHECK(seen[i] == 1, "row %d in exactly one part", i);
        al_dataset_free(train);
        al_dataset_free(val);
    }
    int differs = 0;
    for (uint64_t seed = 1; seed < 4 && !differs; seed++) {
        if (al_dataset_split(ds, 4, AL_SPLIT_RANDOM, seed, &train, &val, &err) != AL_OK)
            break;
        for (size_t i = 0; i < 4; i++)
            differs |= al_dataset_x(val)[2 * i] != first[i];
        al_dataset_free(train);
        al_dataset_free(val);
    }
    CHECK(differs, "other seeds give other splits");
    CHECK(al_dataset_split(ds, 0, AL_SPLIT_LAST, 0, &train, &val, &err) == AL_ERR_INVALID &&
              strstr(err.message, "needs 1 to 9"), "k = 0: %s", err.message);
    CHECK(al_dataset_split(ds, 10, AL_SPLIT_RANDOM, 0, &train, &val, &err) == AL_ERR_INVALID &&
              train == NULL && val == NULL, "k = count: %s", err.message);
    al_dataset_free(ds);
}

/* Stratified splits: each class's share worked out by hand (largest
 * remainders), every row in exactly one part, file order kept, and the
 * class names and targets carried to both parts. */
static void test_stratified(void)
{
    CHECK_SECTION("stratified split");
    /* 20 rows: class 0 has 10, class 1 has 6, class 2 has 4; a 25 % hold-out
     * of 5 rows gives shares 2.5, 1.5, 1.0: floors 2, 1, 1 (4), and the one
     * left over goes to the largest remainder, class 0 (0.5 ties 0.5: the
     * lower class wins) -> 3, 1, 1 */
    al_dataset *ds = NULL, *train = NULL, *val = NULL;
    al_error err = {0};
    const size_t shape[1] = {1};
    if (al_dataset_create("strat", 20, 1, shape, &ds, &err) != AL_OK)
        abort();
    float t[20];
    for (int i = 0; i < 20; i++) {
        al_dataset_x_mut(ds)[i] = (float)i;
        al_dataset_y_mut(ds)[i] = i < 10 ? 0 : i < 16 ? 1 : 2;
        t[i] = 0.5f * (float)i;
    }
    const char *names[3] = {"a", "b", "c"};
    CHECK(al_dataset_check_labels(ds, 0, &err) == AL_OK && al_dataset_set_targets(ds, t, 1, &err) == AL_OK &&
              al_dataset_set_class_names(ds, names, 3, &err) == AL_OK, "%s", err.message);
    CHECK(al_split_count(20, 0.25) == 5 && al_split_count(10, 0.01) == 1 && al_split_count(10, 0.99) == 9 &&
              al_split_count(1, 0.5) == 0 && al_split_count(150, 0.2) == 30, "al_split_count rounds and clamps");
    al_split_mode mode;
    CHECK(al_split_mode_parse("stratified", &mode, &err) == AL_OK && mode == AL_SPLIT_STRATIFIED &&
              al_split_mode_parse("tail", &mode, &err) == AL_OK && mode == AL_SPLIT_LAST &&
              strcmp(al_split_mode_name(AL_SPLIT_RANDOM), "random") == 0, "mode names");
    CHECK(al_split_mode_parse("strat", &mode, &err) == AL_ERR_INVALID && strstr(err.message, "stratified"),
          "unknown mode: %s", err.message);
    int first[5] = {0};
    for (uint64_t seed = 7; seed < 9; seed++) {
        al_status st = al_dataset_split(ds, 5, AL_SPLIT_STRATIFIED, seed, &train, &val, &err);
        CHECK(st == AL_OK, "stratified: %s", err.message);
        if (st != AL_OK)
            return;
        int per[3] = {0}, seen[20] = {0};
        float prev = -1;
        for (size_t i = 0; i < al_dataset_count(val); i++) {
            float v = al_dataset_x(val)[i];
            per[al_dataset_y(val)[i]]++;
            seen[(int)v]++;
            CHECK(v > prev, "validation keeps file order");
            CHECK(al_dataset_targets(val)[i] == 0.5f * v, "the target follows its row");
            prev = v;
            if (seed == 7)
                first[i] = (int)v;
        }
        for (size_t i = 0; i < al_dataset_count(train); i++)
            seen[(int)al_dataset_x(train)[i]]++;
        CHECK(per[0] == 3 && per[1] == 1 && per[2] == 1, "shares 3 1 1: %d %d %d", per[0], per[1], per[2]);
        int once = 1;
        for (int i = 0; i < 20; i++)
            once &= seen[i] == 1;
        CHECK(once, "every row in exactly one part");
        CHECK(al_dataset_classes(train) == 3 && al_dataset_has_labels(val) && al_dataset_classes_present(val) == 3,
              "classes kept");
        CHECK(al_dataset_class_name(val, 2) && strcmp(al_dataset_class_name(val, 2), "c") == 0 &&
                  al_dataset_class_name_count(train) == 3, "class names carried");
        if (seed == 8) {
            int differs = 0;
            for (size_t i = 0; i < 5; i++)
                differs |= first[i] != (int)al_dataset_x(val)[i];
            CHECK(differs, "another seed, other rows");
        }
        al_dataset_free(train);
        al_dataset_free(val);
    }
    /* a tail split of this class-sorted set holds one class */
    CHECK(al_dataset_split(ds, 4, AL_SPLIT_LAST, 0, &train, &val, &err) == AL_OK &&
              al_dataset_classes_present(val) == 1 && al_dataset_classes_present(ds) == 3, "tail: one class");
    al_dataset_free(train);
    al_dataset_free(val);
    /* without labels a stratified split is refused, a random one works */
    al_dataset *reg = NULL;
    if (al_dataset_create("reg", 6, 1, shape, &reg, &err) != AL_OK)
        abort();
    CHECK(al_dataset_set_targets(reg, t, 1, &err) == AL_OK, "%s", err.message);
    CHECK(al_dataset_split(reg, 2, AL_SPLIT_STRATIFIED, 0, &train, &val, &err) == AL_ERR_INVALID &&
              strstr(err.message, "needs class labels"), "stratified without labels: %s", err.message);
    CHECK(al_dataset_split(reg, 2, AL_SPLIT_RANDOM, 0, &train, &val, &err) == AL_OK &&
              al_dataset_target_width(val) == 1 && !al_dataset_has_labels(val), "random keeps targets");
    al_dataset_free(train);
    al_dataset_free(val);
    al_dataset_free(reg);
    al_dataset_free(ds);
}

static void test_standardize(void)
{
    CHECK_SECTION("standardize");
    /* features: column 0 = 1, 2, 3, 4 (mean 2.5, population variance 1.25),
     * column 1 constant 5 (std stored as 1) */
    al_dataset *ds = NULL, *test = NULL;
    al_error err = {0};
    const size_t shape[1] = {2};
    if (al_dataset_create("s", 4, 1, shape, &ds, &err) != AL_OK ||
        al_dataset_create("t", 1, 1, shape, &test, &err) != AL_OK)
        abort();
    for (int i = 0; i < 4; i++) {
        al_dataset_x_mut(ds)[2 * i] = (float)(i + 1);
        al_dataset_x_mut(ds)[2 * i + 1] = 5.0f;
    }
    al_dataset_x_mut(test)[0] = 5.0f;
    al_dataset_x_mut(test)[1] = 6.0f;
    al_feature_stats stats;
    CHECK(al_feature_stats_compute(ds, AL_STANDARDIZE_PER_FEATURE, &stats, &err) == AL_OK, "%s",
          err.message);
    CHECK(stats.length == 2 && stats.features == 2, "per-feature length");
    CHECK_NEAR(stats.mean[0], 2.5, 1e-7, 0, "mean 0");
    CHECK_NEAR(stats.std[0], sqrt(1.25), 1e-6, 0, "std 0");
    CHECK_NEAR(stats.mean[1], 5.0, 0, 0, "mean 1");
    CHECK(stats.std[1] == 1.0f, "constant feature: std 1");
    CHECK(al_dataset_standardize(ds, &stats, &err) == AL_OK, "%s", err.message);
    CHECK(al_dataset_standardize(test, &stats, &err) == AL_OK, "%s", err.message);
    CHECK_NEAR(al_dataset_x(ds)[0], -1.5 / sqrt(1.25), 1e-6, 0, "row 0");
    CHECK_NEAR(al_dataset_x(ds)[6], 1.5 / sqrt(1.25), 1e-6, 0, "row 3");
    CHECK(al_dataset_x(ds)[1] == 0.0f, "constant feature becomes 0");
    CHECK_NEAR(al_dataset_x(test)[0], 2.5 / sqrt(1.25), 1e-6, 0, "train stats on test");
    CHECK_NEAR(al_dataset_x(test)[1], 1.0, 1e-7, 0, "train stats on test, feature 1");
    al_feature_stats_free(&stats);
    CHECK(stats.mean == NULL && stats.length == 0, "free zeroes");

    /* global: values now -1.342, -0.447, 0.447, 1.342 and four zeros; the
     * mean is 0 and the variance (2 * 1.8 + 2 * 0.2) / 8 = 0.5 */
    CHECK(al_feature_stats_compute(ds, AL_STANDARDIZE_GLOBAL, &stats, &err) == AL_OK, "%s",
          err.message);
    CHECK(stats.length == 1 && stats.features == 2, "global length");
    CHECK_NEAR(stats.mean[0], 0.0, 1e-7, 0, "global mean");
    CHECK_NEAR(stats.std[0], sqrt(0.5), 1e-6, 0, "global std");
    CHECK(al_dataset_standardize(ds, &stats, &err) == AL_OK, "%s", err.message);
    CHECK_NEAR(al_dataset_x(ds)[6], 1.5 / sqrt(1.25) / sqrt(0.5), 1e-5, 0, "global applied");
    al_feature_stats_free(&stats);

    al_dataset *wide = numbered(3);
    al_dataset *three = NULL;
    const size_t shape3[1] = {3};
    if (al_dataset_create("three", 2, 1, shape3, &three, &err) != AL_OK)
        abort();
    CHECK(al_feature_stats_compute(wide, AL_STANDARDIZE_PER_FEATURE, &stats, &err) == AL_OK, "%s",
          err.message);
    CHECK(al_dataset_standardize(three, &stats, &err) == AL_ERR_SHAPE &&
              strstr(err.message, "stats are for 2 features but it has 3"), "mismatch: %s",
          err.message);
    al_feature_stats_free(&stats);
    al_feature_stats_free(&stats); /* twice is fine */
    al_dataset_free(wide);
    al_dataset_free(three);
    al_dataset_free(ds);
    al_dataset_free(test);
}

static int is_permutation(const size_t *order, size_t n)
{
    int seen[64] = {0};
    for (size_t i = 0; i < n; i++) {
        if (order[i] >= n || seen[order[i]])
            return 0;
        seen[order[i]] = 1;
    }
    return 1;
}

static void test_batcher(void)
{
    CHECK_SECTION("batcher");
    al_dataset *ds = numbered(10);
    al_error err = {0};
    al_batcher_options o = al_batcher_options_default();
    CHECK(o.batch_size == 32 && o.no_shuffle == 0, "defaults");
    o.batch_size = 4;
    o.seed = 99;
    al_batcher *a = NULL, *b = NULL;
    CHECK(al_batcher_create(ds, &o, &a, &err) == AL_OK, "%s", err.message);
    CHECK(al_batcher_create(ds, &o, &b, &err) == AL_OK, "%s", err.message);
    if (!a || !b)
        return;
    CHECK(al_batcher_batch_count(a) == 3, "ceil(10 / 4) = 3");
    size_t saved[3][10];
    for (uint64_t e = 0; e < 3; e++) {
        al_batcher_start_epoch(a, e);
        CHECK(is_permutation(al_batcher_order(a), 10), "epoch %d is a permutation", (int)e);
        memcpy(saved[e], al_batcher_order(a), sizeof saved[e]);
    }
    CHECK(memcmp(saved[0], saved[1], sizeof saved[0]) != 0 &&
              memcmp(saved[1], saved[2], sizeof saved[0]) != 0, "epochs differ");
    /* b jumps straight to epoch 2, as a resumed run does */
    al_batcher_start_epoch(b, 2);
    CHECK(memcmp(al_batcher_order(b), saved[2], sizeof saved[2]) == 0,
          "epoch 2 does not depend on epochs 0 and 1 having run");
    al_batcher_start_epoch(b, 0);
    CHECK(memcmp(al_batcher_order(b), saved[0], sizeof saved[0]) == 0, "epoch 0 again");

    const size_t *idx;
    size_t sizes[4];
    for (size_t k = 0; k < 4; k++)
        sizes[k] = al_batcher_indices(b, k, &idx);
    CHECK(sizes[0] == 4 && sizes[1] == 4 && sizes[2] == 2 && sizes[3] == 0,
          "batches 4, 4, 2 (the last partial batch kept), then none");
    float x[8];
    int32_t y[4];
    size_t rows = 0;
    CHECK(al_batcher_fill(b, 2, x, y, &rows, &err) == AL_OK && rows == 2, "fill last");
    for (size_t i = 0; i < rows; i++) {
        size_t r = saved[0][8 + i];
        CHECK(x[2 * i] == (float)r && x[2 * i + 1] == 10.0f * (float)r &&
                  y[i] == (int32_t)(r % 3), "batch row %zu is example %zu", i, r);
    }
    CHECK(al_batcher_fill(b, 3, x, y, &rows, &err) == AL_ERR_INVALID && rows == 0 &&
              strstr(err.message, "past the end"), "past the end: %s", err.message);
    al_batcher_free(b);

    o.seed = 100;
    CHECK(al_batcher_create(ds, &o, &b, &err) == AL_OK, "%s", err.message);
    al_batcher_start_epoch(b, 0);
    CHECK(memcmp(al_batcher_order(b), saved[0], sizeof saved[0]) != 0, "another seed differs");
    al_batcher_free(b);

    o.no_shuffle = 1;
    o.batch_size = 20;
    CHECK(al_batcher_create(ds, &o, &b, &err) == AL_OK, "%s", err.message);
    al_batcher_start_epoch(b, 5);
    for (size_t i = 0; i < 10; i++)
        CHECK(al_batcher_order(b)[i] == i, "no_shuffle keeps order");
    CHECK(al_batcher_batch_count(b) == 1 && al_batcher_indices(b, 0, &idx) == 10,
          "one batch larger than the set");
    al_batcher_free(b);
    al_batcher_free(a);
    o.batch_size = 0;
    CHECK(al_batcher_create(ds, &o, &b, &err) == AL_ERR_INVALID && b == NULL, "batch size 0");
    al_batcher_free(NULL);
    al_dataset_free(ds);
    al_dataset_free(NULL);

    al_dataset *bad = numbered(4);
    al_dataset_y_mut(bad)[3] = -2;
    CHECK(al_dataset_check_labels(bad, 0, &err) == AL_ERR_FORMAT &&
              strstr(err.message, "label -2 at row 3 is negative"), "check: %s", err.message);
    al_dataset_free(bad);
}

int main(void)
{
    test_split();
    test_stratified();
    test_standardize();
    test_batcher();
    return check_summary("test_data_split");
}
