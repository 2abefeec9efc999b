/* The rows of the activation table, each on its own: complete (a name, a
 * float64 reference, a kernel; flags that agree with the functions present),
 * consistent (the reference returns the table's kink derivatives; the
 * float32 kernels agree with the reference at the defaults; backward needs y
 * only where the row says so). A new row is checked here without being added
 * to any list; test_act.c checks chosen parameters in depth. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "act/act_internal.h"
#include "actlab/actlab.h"
#include "act_check.h"
#include "check.h"

/* The defaults, with 0 for a required parameter (Threshold's). */
static al_act defaults_of(al_act_id id)
{
    al_act a;
    al_act_default(id, &a);
    const al_act_info *info = al_act_info_of(id);
    for (int i = 0; i < info->n_params; i++)
        if (info->params[i].required)
            a.param[i] = 0;
    return a;
}

static void test_rows_complete(void)
{
    for (int i = 0; i < AL_ACT_COUNT; i++) {
        const al_act_row *row = al_act_row_of((al_act_id)i);
        const al_act_info *info = &row->info;
        CHECK(info->id == (al_act_id)i && info == al_act_info_of((al_act_id)i), "row %d holds id %d", i,
              (int)info->id);
        CHECK(info->name && info->name[0], "row %d has no name", i);
        if (!info->name)
            continue;
        for (int j = 0; j < i; j++)
            CHECK(strcmp(info->name, al_act_info_of((al_act_id)j)->name) != 0, "%s: name used twice", info->name);
        al_act_id found;
        CHECK(al_act_find(info->name, &found, NULL) == AL_OK && found == (al_act_id)i, "%s: not found by name",
              info->name);
        CHECK(info->formula && info->formula[0] && info->derivative && info->derivative[0],
              "%s: no formula or derivative text", info->name);
        CHECK(row->eval_f64 != NULL, "%s: no float64 reference", info->name);
        CHECK(row->kernel > AL_KERNEL_NONE && row->kernel < AL_KERNEL_COUNT, "%s: no kernel", info->name);
        CHECK(info->kink_text != NULL, "%s: kink_text must be \"\" when smooth, not NULL", info->name);
        CHECK((row->kinks != NULL) == (info->has_kink != 0), "%s: has_kink %d but kinks %s", info->name,
              info->has_kink, row->kinks ? "set" : "NULL");
        CHECK(!info->kink_text || (info->kink_text[0] != '\0') == (info->has_kink != 0),
              "%s: kink_text '%s' disagrees with has_kink", info->name, info->kink_text ? info->kink_text : "");
        CHECK((info->learnable != 0) == (row->weight_count != NULL && row->init_weight != NULL),
              "%s: learnable %d disagrees with weight_count/init_weight", info->name, info->learnable);
        CHECK(info->n_params >= 0 && info->n_params <= AL_ACT_MAX_PARAMS, "%s: %d parameters", info->name,
              info->n_params);
        for (int p = 0; p < info->n_params && p < AL_ACT_MAX_PARAMS; p++)
            CHECK(info->params[p].name && info->params[p].default_text, "%s: parameter %d unnamed", info->name, p);
        al_act a = defaults_of((al_act_id)i);
        double gain = al_act_gain(&a);
        CHECK(isfinite(gain) && gain > 0, "%s: gain %g", info->name, gain);
        CHECK(!row->check || row->check(a.param) == NULL, "%s: its defaults fail its check", info->name);
        if (info->learnable) {
            CHECK(al_act_weight_count(&a) >= 1, "%s: learnable with no weights", info->name);
            CHECK(isfinite(al_act_init_weight(&a)), "%s: initial weight", info->name);
        } else {
            CHECK(al_act_weight_count(&a) == 0 && isnan(al_act_init_weight(&a)), "%s: weights but not learnable",
                  info->name);
        }
    }
    for (int k = AL_KERNEL_NONE + 1; k < AL_KERNEL_COUNT; k++)
        CHECK(al_kernels_generic.pairs[k].forward && al_kernels_generic.pairs[k].backward,
              "kernel %d has no pair", k);
}

/* The reference's derivative exactly at each kink is the table's, and with
 * kink= it is the given value there and only there. */
static void test_kinks_agree(void)
{
    for (int i = 0; i < AL_ACT_COUNT; i++) {
        al_act a = defaults_of((al_act_id)i);
        const char *name = al_act_info_of(a.id)->name;
        double slope = al_act_init_weight(&a);
        double where[AL_ACT_MAX_KINKS], deriv[AL_ACT_MAX_KINKS], y, d;
        int n = al_act_kinks(&a, where, deriv);
        CHECK(n >= 0 && n <= AL_ACT_MAX_KINKS, "%s: %d kinks", name, n);
        CHECK((n > 0) == (al_act_info_of(a.id)->has_kink != 0), "%s: %d kinks at its defaults", name, n);
        for (int k = 0; k < n; k++) {
            al_act_eval_f64(&a, where[k], slope, &y, &d);
            CHECK(d == deriv[k], "%s: f'(%g) = %.17g, the table says %.17g", name, where[k], d, deriv[k]);
        }
        if (n == 0)
            continue;
        a.kink_set = 1;
        a.kink = 0.375;
        al_act_kinks(&a, where, deriv);
        for (int k = 0; k < n; k++) {
            al_act_eval_f64(&a, where[k], slope, &y, &d);
            CHECK(d == 0.375 && deriv[k] == 0.375, "%s(kink=0.375): f'(%g) = %g", name, where[k], d);
            double beside = where[k] + 0.25, d_plain;
            al_act_eval_f64(&a, beside, slope, &y, &d);
            a.kink_set = 0;
            al_act_eval_f64(&a, beside, slope, &y, &d_plain);
            a.kink_set = 1;
            CHECK(d == d_plain, "%s: kink= changed f'(%g)", name, beside);
        }
    }
}

/* Every row's float32 kernels against its reference at the defaults, in eval
 * mode, on every ISA this CPU runs; and backward without y where the row
 * does not use it (ASan/valgrind would see a read through NULL). */
static void test_kernels_match_reference(void)
{
    enum { N = 1203 };
    float x[N], y[N], dy[N], dx[N], dx_no_y[N];
    double xd[N], yd[N], dyd[N], dxd[N];
    for (int i = 0; i < N; i++) {
        x[i] = -9.0f + 18.0f * (float)i / (float)(N - 1);
        dy[i] = 1.0f + (float)(i % 5) * 0.25f;
        xd[i] = x[i];
        dyd[i] = dy[i];
    }
    al_isa isas[] = {AL_ISA_GENERIC, AL_ISA_AVX2, AL_ISA_AVX512};
    for (int i = 0; i < AL_ACT_COUNT; i++) {
        al_act a = defaults_of((al_act_id)i);
        const al_act_info *info = al_act_info_of(a.id);
        float w = (float)al_act_init_weight(&a);
        double wd = al_act_init_weight(&a);
        al_act_run run = al_act_run_default();
        if (al_act_weight_count(&a) > 1)
            continue; /* per-channel weights: test_act.c */
        al_act_forward_f64(&a, &run, N, xd, yd, &wd);
        al_act_backward_f64(&a, &run, N, xd, yd, dyd, dxd, &wd, NULL);
        for (int s = 0; s < 3; s++) {
            if (isas[s] > al_isa_best())
                continue;
            run.isa = isas[s];
            al_act_forward_f32(&a, &run, N, x, y, &w);
            al_act_backward_f32(&a, &run, N, x, y, dy, dx, &w, NULL);
            int bad = 0;
            for (int k = 0; k < N; k++)
                bad += !close_f32(y[k], yd[k]) || !close_f32(dx[k], dxd[k]);
            CHECK(bad == 0, "%s [%s]: %d of %d values off the reference", info->name, al_isa_name(isas[s]), bad, N);
            if (!info->uses_output) {
                al_act_backward_f32(&a, &run, N, x, NULL, dy, dx_no_y, &w, NULL);
                CHECK(memcmp(dx, dx_no_y, sizeof dx) == 0, "%s [%s]: backward read y", info->name,
                      al_isa_name(isas[s]));
            }
        }
    }
}

int main(void)
{
    CHECK_SECTION("rows complete");
    test_rows_complete();
    CHECK_SECTION("kinks");
    test_kinks_agree();
    CHECK_SECTION("kernels");
    test_kernels_match_reference();
    return check_summary("test_act_table");
}
