/* The studies catalogue: each study's question, protocol and budgets, the
 * runner that wraps it in a report section, and the verdict functions, which
 * turn summary numbers into an answer (and are tested on fixed numbers). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actlab/stats.h"
#include "actlab/util.h"
#include "study/study_internal.h"

static const al_study studies[] = {
    {"consistency", "What large and consistent gradients mean",
     "How are the derivatives f'(x) of **ReLU**, **tanh** and **sigmoid** distributed in a deep MLP at "
     "initialisation, and how does the gradient norm change with depth?",
     "An 8-hidden-layer MLP (width 128; 256 with --full) with Kaiming-normal init (each activation's gain) "
     "takes one batch of 1000 standardised Fashion-MNIST training images (10000 with --full); cross-entropy "
     "backward. Per activation layer: the histogram of f'(x), the fractions of f' exactly 0 and 1, mean f' "
     "and the spread of f' among units that pass gradient; per Linear layer the weight-gradient norm. "
     "Averaged over 3 init seeds (10). The verdict is descriptive (Result).",
     "3 init seeds, 1000 images, width 128: a few seconds", "10 init seeds, 10000 images, width 256: about 15 s on 2 cores", study_consistency},
    {"kink", "ReLU's derivative at 0",
     "How often is a pre-activation exactly 0 in float32 training on Fashion-MNIST, and does ReLU'(0) = 0, "
     "0.5 or 1 change training?",
     "MLP 784-128-128-10 with ReLU(kink=0), ReLU(kink=0.5), ReLU(kink=1); SGD lr 0.05 momentum 0.9, batch 128, "
     "PyTorch init; the same seeds in every arm. Kink hits are counted by the probes on every step. Final "
     "test accuracy of each kink is compared with kink=0 (exact permutation test, Holm). Verdict: Supported if "
     "some kink differs at p < 0.05; Not supported if none does; Inconclusive if the seeds cannot show it.",
     "5 seeds x 4 epochs on the first 20000 training rows: about 10 s on 2 cores",
     "10 seeds x 15 epochs on all 60000 rows", study_kink},
    {"dead-units", "Dying ReLU",
     "Trained with Adam at lr 0.01, do ReLU units die, and do **Leaky ReLU**, **PReLU** and **ELU** keep theirs?",
     "MLP 784-128-128-10, Adam lr 0.01 (a regime where ReLU units die; SGD at a high rate diverges first), "
     "batch 128, PyTorch init. "
     "A unit is dead in an epoch when f' = 0 for every training sample it saw. The final dead fraction of "
     "ReLU is tested against each other arm (exact permutation test over seeds, Holm). Verdict: Supported if "
     "ReLU loses at least 1 % of its units and significantly more than every other arm.",
     "5 seeds x 5 epochs on the first 20000 training rows (Adam): about 20 s on 2 cores",
     "10 seeds x 20 epochs on all 60000 rows", study_dead_units},
    {"smoothness", "Smooth activations against ReLU",
     "Do **ELU**, **SELU**, **GELU**, **SiLU** and **Softplus** reach a target accuracy sooner, or end "
     "higher, than **ReLU** and **Leaky ReLU**?",
     "MLP 784-128-128-10, SGD lr 0.05 momentum 0.9, batch 128, PyTorch init. Time to target: Kaplan-Meier "
     "median of the epochs to reach the test accuracy target (84 %; 88 % with --full). Final test accuracy "
     "of each arm against ReLU: Welch interval and exact permutation test, Holm-adjusted. Verdict: Supported "
     "if some arm differs from ReLU at p < 0.05.",
     "5 seeds x 5 epochs on the first 20000 training rows: about 15 s on 2 cores",
     "10 seeds x 20 epochs on all 60000 rows", study_smoothness},
    {"leaky-prelu-depth", "Leaky ReLU and PReLU with depth",
     "Does a negative slope (**Leaky ReLU**, **PReLU**) help more as the MLP gets deeper (2, 4, 8, 16 hidden "
     "layers), and which slopes does PReLU learn?",
     "MLPs of 2, 4, 8 and 16 hidden layers (width 64; 128 with --full), ReLU vs LeakyReLU() vs PReLU(), "
     "SGD lr 0.01 momentum 0.9, Kaiming-normal init (each activation's gain). One comparison per depth with ReLU as the baseline (exact "
     "permutation tests, Holm within the depth). The PReLU slope mean over layers is recorded at each "
     "epoch end. Verdict: Supported if some arm differs from ReLU at some depth at p < 0.05.",
     "5 seeds x 3 epochs at each depth on the first 10000 rows: about 15 s on 2 cores",
     "10 seeds x 15 epochs on all 60000 rows, width 128", study_leaky_prelu_depth},
    {"zero-centering", "Zero-centred activations",
     "How far from zero are the per-layer activation means of **ReLU**, **ELU**, **tanh** and **SELU**, "
     "with and without BatchNorm, under He and Xavier init, and does centring go with faster training?",
     "MLP with 3 hidden layers of 128, every combination of activation x BatchNorm (off, on) x init "
     "(kaiming-normal, xavier-normal); SGD lr 0.05 momentum 0.9. Per arm: the mean over hidden layers of "
     "|activation mean| at the last epoch end, the epochs to 80 % test accuracy (87 % with --full) and the "
     "final accuracy. The verdict is descriptive (Result): Spearman's rank correlation of |mean| with final "
     "accuracy and with the epochs to the target, over the arms.",
     "3 seeds x 3 epochs on the first 10000 rows: about 20 s on 2 cores",
     "5 seeds x 10 epochs on all 60000 rows", study_zero_centering},
    {"vanishing", "Vanishing gradients",
     "In a 20-layer MLP, do gradients vanish toward the input for **sigmoid** and **tanh** but not for "
     "**ReLU** and **ELU**? And along a chain of one-unit layers?",
     "At initialisation: a 20-hidden-layer MLP of width 128 under PyTorch's default init and under "
     "Kaiming-normal (each activation's gain), one batch of 1000 standardised training images, cross-entropy "
     "backward; the weight-gradient norm of every Linear layer (3 init seeds; 10 with --full). A chain of "
     "20 Linear(1, 1) + activation layers (Kaiming-normal) on 1000 N(0, 1) inputs: median |dy/dx|. After "
     "training (Kaiming-normal, width 64, SGD lr 0.01 momentum 0.9): the gradient norm by layer at the last "
     "epoch. Verdict (on the Kaiming-normal init numbers): Supported if the first/last weight-gradient ratio is "
     "below 0.01 for sigmoid and tanh and at least 0.1 for ReLU and ELU.",
     "init: 3 seeds; training: 3 seeds x 2 epochs on 10000 rows; about 5 s on 2 cores",
     "init: 10 seeds; training: 5 seeds x 10 epochs on all 60000 rows", study_vanishing},
    {"selu-fixed-point", "SELU's fixed point",
     "Does **SELU** with LeCun-normal init hold mean 0 and variance 1 through 64 layers, from inputs of "
     "variance 0.5 and 2, while other inits drift?",
     "64 layers of Linear(256, 256) + SELU (width 1024 with --full), weights and biases as each init sets them, "
     "on 1000 Gaussian inputs (4000 with --full) of mean 0 and variance 0.5, 1 and 2; inits lecun-normal, "
     "kaiming-normal, xavier-normal and pytorch. The mean and variance of every SELU output are measured. "
     "Verdict: Supported if lecun-normal ends within |mean| <= 0.1 and |variance - 1| <= 0.2 for every input "
     "variance and each other init leaves that band for some input variance.",
     "1000 inputs, width 256: a few seconds", "4000 inputs, width 1024: about a minute on 2 cores", study_selu_fixed_point},
};

size_t al_study_count(void) { return sizeof studies / sizeof studies[0]; }

const al_study *al_study_at(size_t index) { return index < al_study_count() ? &studies[index] : NULL; }

const al_study *al_study_find(const char *name, al_error *err)
{
    const char *names[sizeof studies / sizeof studies[0]];
    for (size_t i = 0; i < al_study_count(); i++) {
        if (strcmp(studies[i].name, name) == 0)
            return &studies[i];
        names[i] = studies[i].name;
    }
    char close[512];
    al_closest_names(name, names, al_study_count(), close, sizeof close);
    al_error_set(err, AL_ERR_INVALID, "no study '%s'; did you mean %s? (`actlab study list` shows them all)",
                 name, close);
    return NULL;
}

al_study_options al_study_options_default(void)
{
    al_study_options o;
    memset(&o, 0, sizeof o);
    o.out_dir = "actlab-study";
    return o;
}

al_status al_study_data_create(const char *data_dir, al_study_data **out, al_error *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    (*out)->dir = strdup(data_dir ? data_dir : AL_FASHION_MNIST_DIR);
    if (!(*out)->dir) {
        free(*out);
        *out = NULL;
        return al_error_set(err, AL_ERR_NOMEM, "out of memory");
    }
    return AL_OK;
}

void al_study_data_free(al_study_data *data)
{
    if (!data)
        return;
    al_dataset_free(data->train);
    al_dataset_free(data->test);
    free(data->dir);
    free(data);
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

al_status al_study_run(const al_study *study, const al_study_options *options, al_study_data *data,
                       al_report *report, al_study_result *result, al_error *err)
{
    memset(result, 0, sizeof *result);
    result->kind = AL_VERDICT_INCONCLUSIVE;
    al_study_env env;
    memset(&env, 0, sizeof env);
    env.study = study;
    env.o = options ? *options : al_study_options_default();
    env.data = data;
    env.report = report;
    if (!env.o.out_dir || !*env.o.out_dir)
        return al_error_set_field(err, AL_ERR_INVALID, "study.out_dir", "a study needs an output directory for "
                                  "its job results");
    if (env.o.seeds == 1)
        return al_error_set_field(err, AL_ERR_INVALID, "study.seeds", "a study needs at least 2 seeds for its "
                                  "statistics, got 1");
    double start = now_seconds();
    al_status st = AL_OK;
    if (report) {
        st = al_report_section(report, study->name, study->title, err);
        if (st == AL_OK)
            st = al_report_question(report, study->question, err);
    }
    if (st == AL_OK)
        st = study->run(&env, result, err);
    result->seconds = now_seconds() - start;
    if (st == AL_OK && report) {
        char budget[512];
        snprintf(budget, sizeof budget, "Budget: %s (%s). Ran in %.0f s.", env.o.full ? "full" : "quick",
                 env.o.full ? study->full : study->quick, result->seconds);
        st = al_report_subsection(report, "Protocol", err);
        if (st == AL_OK)
            st = al_report_paragraph(report, study->protocol, err);
        if (st == AL_OK)
            st = al_report_note(report, budget, err);
    }
    if (st != AL_OK)
        al_error_prefix(err, "study %s: ", study->name);
    return st;
}

/* ---- verdicts ---------------------------------------------------------- */

double al_study_min_p(size_t k)
{
    /* C(2k, k) grows fast; past 30 the bound is far below any alpha */
    if (k == 0)
        return 1;
    if (k > 30)
        return 0;
    double c = 1;
    for (size_t i = 1; i <= k; i++)
        c = c * (double)(k + i) / (double)i;
    return fmin(1.0, 2.0 / c);
}

/* Appends printf-style text at *n in out (never past size). */
static void put(char *out, size_t size, size_t *n, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void put(char *out, size_t size, size_t *n, const char *fmt, ...)
{
    if (*n >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(out + *n, size - *n, fmt, ap);
    va_end(ap);
    if (k > 0)
        *n = *n + (size_t)k < size ? *n + (size_t)k : size - 1;
}

static void ttt_text(const al_arm_summary *s, char *out, size_t size)
{
    if (s->ttt.seeds == 0)
        snprintf(out, size, "n/a");
    else if (s->ttt.median_known)
        snprintf(out, size, "%g epochs", s->ttt.median_epochs);
    else
        snprintf(out, size, "not reached by half the seeds (%zu/%zu)", s->ttt.reached, s->ttt.seeds);
}

al_verdict al_study_verdict_arms(const char *const *names, const al_arm_summary *s, size_t n_arms,
                                 size_t baseline, size_t seeds, double target, double alpha, char *out,
                                 size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    if (n_arms < 2 || baseline >= n_arms) {
        put(out, size, &n, "Nothing to compare: %zu arm%s.", n_arms, n_arms == 1 ? "" : "s");
        return AL_VERDICT_INCONCLUSIVE;
    }
    const al_arm_summary *b = &s[baseline];
    int targeted = isfinite(target) && target > 0;
    size_t m = 0, better = 0, worse = 0;
    for (size_t i = 0; i < n_arms; i++) {
        if (i == baseline)
            continue;
        if (isfinite(s[i].p_holm))
            m++;
        if (isfinite(s[i].p_holm) && s[i].p_holm < alpha) {
            if (s[i].diff > 0)
                better++;
            else
                worse++;
        }
    }
    if (targeted) {
        char bt[96];
        ttt_text(b, bt, sizeof bt);
        put(out, size, &n, "Time to %.0f %% test accuracy (median over seeds): %s %s", 100 * target, names[baseline],
            bt);
        for (size_t i = 0; i < n_arms; i++)
            if (i != baseline) {
                char t[96];
                ttt_text(&s[i], t, sizeof t);
                put(out, size, &n, ", %s %s", names[i], t);
            }
        put(out, size, &n, ".\n\n");
    }
    put(out, size, &n, "Final test accuracy: %s %.2f %%", names[baseline], 100 * b->acc_mean);
    for (size_t i = 0; i < n_arms; i++) {
        if (s[i].ok < seeds)
            put(out, size, &n, "%s%s: %zu of %zu seeds failed (diverged or stopped)", i == baseline ? " (" : "; ",
                names[i], seeds - s[i].ok, seeds);
        if (i == baseline) {
            if (s[i].ok < seeds)
                put(out, size, &n, ")");
            continue;
        }
        if (s[i].ok == 0)
            continue;
        char p[32];
        al_stats_format_p(s[i].p_holm, p, sizeof p);
        put(out, size, &n, "; %s %.2f %% (%+.2f points [%+.2f, %+.2f], %s Holm)", names[i], 100 * s[i].acc_mean,
            100 * s[i].diff, 100 * s[i].diff_lo, 100 * s[i].diff_hi, p);
    }
    put(out, size, &n, ".\n\n");
    if (better + worse > 0) {
        put(out, size, &n, "**Significant difference** from %s over %zu seeds at p < %g (Holm):", names[baseline],
            seeds, alpha);
        const char *sep = " ";
        for (size_t i = 0; i < n_arms; i++)
            if (i != baseline && isfinite(s[i].p_holm) && s[i].p_holm < alpha) {
                put(out, size, &n, "%s%s %s by %.2f points", sep, names[i], s[i].diff > 0 ? "higher" : "lower",
                    100 * fabs(s[i].diff));
                sep = ", ";
            }
        put(out, size, &n, ".");
        return AL_VERDICT_SUPPORTED;
    }
    double min_p = al_study_min_p(seeds) * (double)(m ? m : 1);
    if (m == 0 || min_p >= alpha) {
        put(out, size, &n, "**Inconclusive**: with %zu seeds per arm and %zu comparison%s the smallest possible "
            "Holm-adjusted p is %.3g, not below %g; run more seeds (--seeds or --full).", seeds, m,
            m == 1 ? "" : "s", min_p, alpha);
        return AL_VERDICT_INCONCLUSIVE;
    }
    put(out, size, &n, "**No significant difference** from %s over %zu seeds at p < %g (Holm).", names[baseline],
        seeds, alpha);
    return AL_VERDICT_NOT_SUPPORTED;
}

al_verdict al_study_verdict_dead(const char *const *names, const double *dead, size_t n_arms, size_t seeds,
                                 size_t relu, double alpha, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    double *a = malloc((seeds + 1) * sizeof *a), *b = malloc((seeds + 1) * sizeof *b);
    double *p = malloc((n_arms + 1) * sizeof *p), *mean = malloc((n_arms + 1) * sizeof *mean);
    if (!a || !b || !p || !mean || relu >= n_arms || seeds < 1) {
        free(a), free(b), free(p), free(mean);
        put(out, size, &n, "No dead-unit numbers to judge.");
        return AL_VERDICT_INCONCLUSIVE;
    }
    size_t na = 0;
    for (size_t s = 0; s < seeds; s++)
        if (isfinite(dead[relu * seeds + s]))
            a[na++] = dead[relu * seeds + s];
    size_t m = 0, sig = 0, more = 0;
    put(out, size, &n, "Final dead fraction (mean over seeds):");
    for (size_t i = 0; i < n_arms; i++) {
        size_t k = 0;
        for (size_t s = 0; s < seeds; s++)
            if (isfinite(dead[i * seeds + s]))
                b[k++] = dead[i * seeds + s];
        mean[i] = al_stats_mean(b, k);
        put(out, size, &n, "%s %s %.1f %%", i ? "," : "", names[i], 100 * mean[i]);
        p[i] = NAN;
        if (i == relu)
            continue;
        al_stats_perm perm;
        if (na >= 1 && k >= 1 && al_stats_permutation_test(a, na, b, k, 1, &perm, NULL) == AL_OK)
            p[i] = perm.p;
    }
    double pm[64];
    size_t which[64];
    for (size_t i = 0; i < n_arms && m < 64; i++)
        if (i != relu && isfinite(p[i])) {
            pm[m] = p[i];
            which[m++] = i;
        }
    if (m > 0 && al_stats_holm(pm, m, pm, NULL) == AL_OK)
        for (size_t j = 0; j < m; j++)
            p[which[j]] = pm[j];
    put(out, size, &n, ".\n\n%s against each other arm (exact permutation test, Holm):", names[relu]);
    for (size_t i = 0; i < n_arms; i++) {
        if (i == relu)
            continue;
        char ps[32];
        al_stats_format_p(p[i], ps, sizeof ps);
        put(out, size, &n, "%s %s %s", i == (relu == 0 ? 1 : 0) ? "" : ",", names[i], ps);
        if (mean[relu] > mean[i])
            more++;
        if (isfinite(p[i]) && p[i] < alpha && mean[relu] > mean[i])
            sig++;
    }
    put(out, size, &n, ".\n\n");
    al_verdict kind;
    if (mean[relu] >= 0.01 && sig == n_arms - 1) {
        put(out, size, &n, "**ReLU units died**: %.1f %% of %s's units were dead at the end, significantly more "
            "than in every other arm (p < %g).", 100 * mean[relu], names[relu], alpha);
        kind = AL_VERDICT_SUPPORTED;
    } else if (mean[relu] < 0.01) {
        put(out, size, &n, "**Few ReLU units died** in this regime (%.2f %% < 1 %%).", 100 * mean[relu]);
        kind = AL_VERDICT_NOT_SUPPORTED;
    } else if (al_study_min_p(seeds) * (double)m >= alpha) {
        put(out, size, &n, "**Inconclusive**: %.1f %% of ReLU units died, but %zu seeds cannot give a "
            "Holm-adjusted p below %g.", 100 * mean[relu], seeds, alpha);
        kind = AL_VERDICT_INCONCLUSIVE;
    } else {
        put(out, size, &n, "**Not every difference is significant**: %.1f %% of ReLU units died; more than in "
            "%zu of %zu other arms, significantly so in %zu.", 100 * mean[relu], more, n_arms - 1, sig);
        kind = AL_VERDICT_NOT_SUPPORTED;
    }
    free(a), free(b), free(p), free(mean);
    return kind;
}

al_verdict al_study_verdict_selu(const char *const *inits, size_t n_inits, size_t lecun, const double *input_vars,
                                 size_t n_vars, const double *mean, const double *var, size_t layers, char *out,
                                 size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    int lecun_holds = 1, others_drift = 1;
    put(out, size, &n, "After %zu layers (mean, variance) by input variance:", layers);
    for (size_t i = 0; i < n_inits; i++) {
        int holds = 1;
        put(out, size, &n, "%s **%s**", i ? ";" : "", inits[i]);
        for (size_t v = 0; v < n_vars; v++) {
            double mu = mean[i * n_vars + v], s2 = var[i * n_vars + v];
            put(out, size, &n, "%s %g → (%.3f, %.3f)", v ? "," : "", input_vars[v], mu, s2);
            if (!(fabs(mu) <= 0.1 && fabs(s2 - 1) <= 0.2))
                holds = 0;
        }
        if (i == lecun)
            lecun_holds = holds;
        else if (holds)
            others_drift = 0;
    }
    put(out, size, &n, ".\n\n");
    if (lecun_holds && others_drift) {
        put(out, size, &n, "**Supported**: with %s SELU stays within |mean| ≤ 0.1 and |variance − 1| ≤ 0.2 from "
            "every input variance; every other init leaves that band.", inits[lecun]);
        return AL_VERDICT_SUPPORTED;
    }
    if (!lecun_holds)
        put(out, size, &n, "**Not supported**: with %s SELU leaves |mean| ≤ 0.1, |variance − 1| ≤ 0.2 for some "
            "input variance.", inits[lecun]);
    else
        put(out, size, &n, "**Not supported as stated**: %s holds the fixed point, but so does another init.",
            inits[lecun]);
    return AL_VERDICT_NOT_SUPPORTED;
}

al_verdict al_study_verdict_vanishing(const char *const *names, const int *saturating, const double *ratio,
                                      size_t count, size_t layers, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    int ok = 1;
    put(out, size, &n, "Weight-gradient norm of the first over the last of %zu Linear layers at init:", layers);
    for (size_t i = 0; i < count; i++) {
        put(out, size, &n, "%s %s %.3g", i ? "," : "", names[i], ratio[i]);
        if (saturating[i] ? !(ratio[i] < 0.01) : !(ratio[i] >= 0.1))
            ok = 0;
    }
    put(out, size, &n, ".\n\n");
    if (ok) {
        put(out, size, &n, "**Supported**: the gradient reaching the first layer is below 1 %% of the last "
            "layer's for the saturating activations, and at least 10 %% for the others.");
        return AL_VERDICT_SUPPORTED;
    }
    put(out, size, &n, "**Not supported as stated**:");
    for (size_t i = 0; i < count; i++) {
        if (saturating[i] && !(ratio[i] < 0.01))
            put(out, size, &n, " %s keeps %.3g of the gradient (not below 0.01).", names[i], ratio[i]);
        if (!saturating[i] && !(ratio[i] >= 0.1))
            put(out, size, &n, " %s keeps only %.3g (below 0.1).", names[i], ratio[i]);
    }
    return AL_VERDICT_NOT_SUPPORTED;
}
