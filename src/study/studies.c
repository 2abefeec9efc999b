/* The studies catalogue: each study's question, protocol and budgets, and
 * the runner that wraps it in a report section. The verdict functions, which
 * turn numbers into an answer, are in study_verdict.c. */
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
     "Are **ReLU**'s gradients more consistent in direction, from one minibatch to the next, than **tanh**'s "
     "and **sigmoid**'s, and how often is f' exactly 0?",
     "Goodfellow, Bengio and Courville, Deep Learning (2016), §6.3.1, of rectified linear units: \"the gradients "
     "are not only large but also consistent\".",
     "An 8-hidden-layer MLP (width 128; 256 with --full) under a common init (LeCun-normal, zero biases: the same "
     "weights for every activation at a seed). At init, on 1000 standardised training images: the histogram of "
     "f'(x) and the fractions of f' exactly 0 and 1. Then one epoch of SGD (lr 0.01, momentum 0.9, batch 128) on "
     "10000 rows, the same for all: the mean cosine between successive minibatch gradients (all parameters). "
     "Paired by seed: tanh and sigmoid against ReLU (the claim: ReLU higher) and tanh against sigmoid, one family, "
     "exact sign-flip tests, Holm; an effect of 0.05 in cosine matters.",
     "8 seeds (enough for Holm over 3), 1 epoch on 10000 rows: about 15 s on 2 cores",
     "10 seeds, width 256, 1 epoch on 60000 rows", study_consistency},
    {"kink", "ReLU's derivative at 0",
     "How often is a ReLU pre-activation exactly 0 in float32 training, and does ReLU'(0) = 0, 0.5 or 1 change "
     "training where it is?",
     "Bertoin et al., Numerical influence of ReLU'(0) on backpropagation (NeurIPS 2021): in 32 bits the choice "
     "changes backpropagation \"around half of the time\"; for vanilla SGD \"ReLU'(0) = 0 seems to be the most "
     "efficient\".",
     "Two regimes. Common: 784-128-128-10, PyTorch init (non-zero biases), SGD lr 0.05, 2 seeds: the probes count "
     "pre-activations exactly 0 on every step. Where zeros occur: 8 hidden layers of width 4, Kaiming-normal with "
     "zero biases, ReLU(kink=0|0.5|1), one learning rate tuned on kink 0 (validation split) and used for all so "
     "that only f'(0) differs; zeros counted per layer. Paired by seed against kink 0: final test accuracy (1 "
     "point matters), the fraction of silent units, whose output is 0 on every training sample (5 % of units "
     "matters), and log10(1 + exact zeros per run) (0.5 matters), one family, Holm. No zero hit: untestable in that regime.",
     "16 seeds x 3 epochs on the first 10000 training rows: about 10 s on 2 cores",
     "32 seeds x 10 epochs on all 60000 rows", study_kink},
    {"dead-units", "Dying ReLU",
     "Do ReLU units die as the learning rate grows, do **Leaky ReLU**, **PReLU** and **ELU** keep theirs, and "
     "what does it cost in accuracy?",
     "Stanford CS231n notes: \"as much as 40% of your network can be 'dead' (i.e. neurons that never activate "
     "across the entire training dataset) if the learning rate is set too high\".",
     "MLP 784-128-128-10 with ReLU, LeakyReLU, PReLU, ELU and tanh, Adam, variance-preserving init. A unit is "
     "inactive when |f'| is at most a tenth of its largest value on every training sample (ReLU: x <= 0; tanh: "
     "saturated), measured on the whole training set at each epoch end; it recovers when it is active again "
     "later. Dose and response: every activation at each of 5 learning rates (3e-4 to 3e-2) on a validation "
     "split; each then at its own tuned rate for the paired tests against ReLU: final test accuracy (reported "
     "first; 1 point matters) and the inactive fraction (the claim: the others lose fewer units; 2 % matters), "
     "one family, Holm.",
     "10 seeds x 3 epochs on 7000 rows: about 15 s on 2 cores", "at least 10 seeds x 15 epochs on all rows",
     study_dead_units},
    {"dead-units-conv", "Dying ReLU in a CNN",
     "The convolutional variant of dead-units: in a small CNN, where a unit is a channel, do ReLU channels die "
     "as the learning rate grows, do **Leaky ReLU**, **PReLU** (one slope per channel) and **ELU** keep theirs, "
     "and what does it cost in accuracy?",
     "Stanford CS231n notes: \"as much as 40% of your network can be 'dead' (i.e. neurons that never activate "
     "across the entire training dataset) if the learning rate is set too high\".",
     "CNN Conv2d(1, 16, 3, padding=1), ACT, MaxPool2d(2), Conv2d(16, 16, 3, padding=1), ACT, MaxPool2d(2), "
     "Conv2d(16, 16, 3, padding=1), ACT, AdaptiveAvgPool2d(4), Flatten(), Linear(256, 10) with ReLU, LeakyReLU, "
     "PReLU(num_parameters=16), ELU and tanh, Adam, variance-preserving init (PyTorch's fans, the kernel's area "
     "included). A channel is inactive when |f'| is at most a tenth of its largest value at every position of "
     "every training sample, measured on the whole training set at each epoch end; it recovers when it is active "
     "again later. Dose and response at 5 learning rates (3e-4 to 3e-2) on a validation split; each activation "
     "then at its own tuned rate, paired against ReLU: final test accuracy (reported first; 1 point matters) and "
     "the inactive fraction of the 48 channels (the claim: the others lose fewer; 5 % of channels matters), one "
     "family, Holm.",
     "10 seeds x 3 epochs on 4000 rows: about 2.5 minutes on 2 cores", "at least 10 seeds x 15 epochs on all rows",
     study_dead_units_conv},
    {"smoothness", "Smooth activations against ReLU",
     "Do smooth activations (**ELU**, **CELU**, **GELU**, **SiLU**, **Softplus**) train faster, or end higher, "
     "than **ReLU**, when each has its own learning rate?",
     "Hendrycks and Gimpel, Gaussian Error Linear Units (2016): \"performance improvements across all considered "
     "computer vision, natural language processing, and speech tasks\" over ReLU and ELU.",
     "MLP 784-128-128-10, SGD momentum 0.9, variance-preserving init (LeCun for SELU), each arm's learning rate "
     "tuned on a validation split. A smoothness dial: Softplus(beta = 1, 16) from smooth to nearly ReLU, "
     "CELU(alpha = 0.25) and ELU (= CELU(1)). Each arm's smoothness is measured (SELU's f' jumps at 0). Against "
     "ReLU, paired by seed: final test accuracy (1 point matters) and the mean training loss over the run, the "
     "area under the loss curve (0.02 nats matters); steps to a loss target (Kaplan-Meier) are reported. The "
     "claim counts the smooth arms; one family, Holm.",
     "11 seeds x 3 epochs on 7000 rows: about 40 s on 2 cores", "at least 12 seeds x 15 epochs on all rows",
     study_smoothness},
    {"leaky-prelu-depth", "Leaky ReLU and PReLU with depth",
     "Does a negative slope (**Leaky ReLU**, **PReLU**) help more as an MLP gets deeper, and which slopes does "
     "PReLU learn, layer by layer?",
     "He et al., Delving Deep into Rectifiers (2015): PReLU \"improves model fitting with nearly zero extra "
     "computational cost and little overfitting risk\". (Their statements on the learned coefficients concern "
     "conv layers: see leaky-prelu-depth-conv.)",
     "MLPs of 2, 8 and 16 hidden layers (2, 4, 8, 16 with --full; width 64, 128 full), ReLU vs LeakyReLU vs "
     "PReLU, variance-preserving init, each arm's learning rate tuned per depth on a validation split, trained "
     "10 epochs on 4000 rows (30 on all rows full; the training accuracy reached is reported, so that how far "
     "each fitted its rows can be judged). Paired against ReLU at each "
     "depth, and the trend: per seed, the least-squares slope of the difference against log2(depth), tested over "
     "the seeds (the claim: positive; 0.5 points per doubling matters); one family, Holm. PReLU's slope (one per "
     "layer: He et al.'s channel-shared form) is charted per layer over training and set beside what they report "
     "for conv layers.",
     "10 seeds x 10 epochs on 4000 rows: about 30 s on 2 cores", "at least 12 seeds x 20 epochs on all rows",
     study_leaky_prelu_depth},
    {"leaky-prelu-depth-conv", "Leaky ReLU and PReLU with depth in CNNs",
     "The convolutional variant of leaky-prelu-depth: does a negative slope (**Leaky ReLU**, **PReLU** with one "
     "slope per channel or one per layer) help more as a CNN gets deeper, and are the slopes PReLU learns, layer "
     "by layer, the ones He et al. report?",
     "He et al., Delving Deep into Rectifiers (2015): PReLU \"improves model fitting with nearly zero extra "
     "computational cost and little overfitting risk\"; in their 14-layer ImageNet CNN \"the first conv layer "
     "(conv1) has coefficients (0.681 and 0.596) significantly greater than 0\" (channel-shared and channel-wise), "
     "and \"for the channel-wise version, the deeper conv layers in general have smaller coefficients\".",
     "CNNs of 2, 4 and 8 conv layers (2, 4, 8, 16 with --full): Conv2d(16, 16, 3, padding=1) + ACT each (the "
     "first from 1 channel; 32 channels full), a MaxPool2d(2) after each of the first two (28 -> 14 -> 7), "
     "AdaptiveAvgPool2d(4), Flatten(), Linear(256, 10); ReLU vs LeakyReLU vs PReLU(num_parameters=16) "
     "(channel-wise) vs PReLU() (channel-shared), variance-preserving init, each arm's learning rate tuned per depth "
     "on a validation split (SGD momentum 0.9, batch 32 so that the slopes get four times the steps), trained 4 "
     "epochs on 4000 rows (20 on all rows full; the training accuracy reached is reported). Paired against ReLU at "
     "each depth, and the trend: per seed, the least-squares slope of the difference against log2(depth) (the "
     "claim: positive; 0.5 points per doubling matters). At the deepest, He et al.'s statements per seed on the "
     "learned coefficients (mean over a layer's channels): the first layer's minus the deeper layers' mean, for "
     "both forms (0.05 matters), and for the channel-wise form the least-squares slope of the coefficient against "
     "the layer's place (0.01 per layer matters), counted in the family and set against their report beside the "
     "verdict (undecided when an arm's coefficients moved less than 0.05 from 0.25: too little training). One "
     "family, Holm. Not part of `make demo` (its CNNs would take it past its few minutes): run it by name.",
     "11 seeds x 4 epochs on 4000 rows: 3 to 10 minutes on 2 cores", "at least 13 seeds x 20 epochs on all rows",
     study_leaky_prelu_depth_conv},
    {"zero-centering", "Zero-centred activations",
     "Does centring the activations speed training (tanh against the logistic sigmoid), how centred are the "
     "units, and does He's init beat Glorot's?",
     "LeCun et al., Efficient BackProp (1998): \"convergence is usually faster if the average of each input "
     "variable over the training set is close to zero\", at every layer; hence symmetric sigmoids such as tanh.",
     "An intervention that changes the centring: tanh against the sigmoid, tanh(x) = 2 sigmoid(2x) - 1, each with "
     "its variance-preserving init and tuned learning rate (which absorb the scales), 3 hidden layers of 128. Per "
     "unit, over the whole training set at each epoch end, E[a]^2 / E[a^2] (0: centred). Paired: tanh against "
     "sigmoid on final test accuracy (1 point) and mean training loss (0.02 nats; the claim: tanh better), and "
     "Glorot's Xavier-normal with gain 1 against He's Kaiming-normal with gain sqrt 2 for ReLU and tanh; "
     "one family, Holm.",
     "9 seeds x 3 epochs on 7000 rows: about 25 s on 2 cores", "at least 10 seeds x 15 epochs on all rows",
     study_zero_centering},
    {"vanishing", "Vanishing gradients",
     "In a 20-layer MLP, do gradients vanish toward the input for **sigmoid** and **tanh** but not for **ReLU** "
     "and **ELU**, or do they explode? Where does tanh cross from order to chaos, and what does a chain of "
     "one-unit layers do once trained?",
     "Schoenholz et al., Deep Information Propagation (ICLR 2017): \"the ordered and chaotic phases correspond to "
     "regions of vanishing and exploding gradient respectively\".",
     "20 hidden layers of 128 at initialisation, on a batch of 1000 standardised images, cross-entropy backward: "
     "log10 of the first over the last hidden layer's weight-gradient norm, with a 95 % t interval over init seeds, "
     "under each activation's variance-preserving init and under PyTorch's default, beside the mean-field "
     "prediction. Two-sided per activation: vanishing below -1 (a factor 10), exploding above +1, neither "
     "inside. Tanh with zero biases swept through gains 0.5 to 2 (transition at 1), beside mean field. A chain "
     "of 20 Linear(1, 1) + activation layers: median |dy/dx| at init and after 10 epochs of Adam on telling the "
     "sign of x. Verdict: every saturating activation vanishes and no other does.",
     "5 init seeds: about 10 s on 2 cores", "10 init seeds", study_vanishing},
    {"selu-fixed-point", "SELU's fixed point",
     "Does **SELU** with LeCun-normal init hold mean 0 and variance 1 through 64 layers, from inputs of mean "
     "±1 and of variance 0.5 and 2, while inits of another variance drift?",
     "Klambauer et al., Self-Normalizing Neural Networks (NeurIPS 2017): \"activations close to zero mean and unit "
     "variance that are propagated through many network layers will converge towards zero mean and unit "
     "variance\" (weights of variance 1/n).",
     "64 layers of Linear(256, 256) + SELU (width 1024 with --full) on 500 Gaussian inputs (4000 full) of (mean, "
     "variance) (0, 0.5), (0, 1), (0, 2), (1, 1), (-1, 1); inits lecun-normal, Glorot's Xavier-normal with gain 1 "
     "(the same variance 1/n on square layers), kaiming-normal (PyTorch's SELU gain 3/4), He's gain sqrt 2, and "
     "PyTorch's default. Verdict: Supported if the inits of variance 1/n end within |mean| <= 0.1 and |variance - "
     "1| <= 0.2 from every input and every other init leaves that band.",
     "500 inputs, width 256: a few seconds", "4000 inputs, width 1024: about a minute on 2 cores",
     study_selu_fixed_point},
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
            st = al_report_subsection(report, "Published claim", err);
        if (st == AL_OK)
            st = al_report_paragraph(report, study->published, err);
        if (st == AL_OK)
            st = al_report_note(report, budget, err);
    }
    if (st != AL_OK)
        al_error_prefix(err, "study %s: ", study->name);
    return st;
}
