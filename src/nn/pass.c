/* A net's forward and backward passes, run by a team of OpenMP threads:
 * each thread computes its share of every layer's output features
 * (al_pass_share), or of its rows or channels where the kind splits so
 * (convolution, pooling, BatchNorm2d), and the team waits only where a
 * layer reads what another thread wrote (layer.h: al_split). With the same
 * thread count and shapes, every pass does the same work in the same order,
 * so results repeat bit for bit. */
#include "nn/net_internal.h"

#include <math.h>
#include <omp.h>
#include <string.h>

#include "actlab/util.h"

/* Passes too small to be worth waking a team (multiply-adds per pass) run on
 * the calling thread alone. */
#define TEAM_MIN_WORK ((double)(1 << 20))

static al_pass make_pass(const al_net *net, int tid, int team, int accumulate, al_status *fault)
{
    al_pass p = {net->batch, net->training, net->pass_seed, tid, team, accumulate, fault};
    return p;
}

/* The team for a pass over `batch` rows: the net's thread count (or the
 * caller's OpenMP count), one thread for a small pass. The result depends
 * only on the thread count and the shapes, so a run is repeatable. */
static int team_for(const al_net *net, size_t batch)
{
    int threads = net->opt.threads > 0 ? net->opt.threads : omp_get_max_threads();
    double work = 0;
    for (int i = 0; i < net->n_layers; i++) {
        const al_layer *l = &net->layers[i];
        double per_row = l->type->work ? l->type->work(l)
                                       : (double)l->out * (l->type->split == AL_SPLIT_ALL_IN ? (double)l->in : 1.0);
        work += (double)batch * per_row;
    }
    if (threads > AL_TEAM_MAX)
        threads = AL_TEAM_MAX;
    return work < TEAM_MIN_WORK ? 1 : threads;
}

static al_split split_of(const al_layer *l, int backward)
{
    return l->type->split_of ? l->type->split_of(l, backward) : l->type->split;
}

/* Whether the team must wait between a layer split as `before` and the
 * next one, split as `next`: unless the next reads only what each thread
 * wrote itself (features after features of the same width, rows after rows).
 * A layer that one thread runs has waited after itself. */
static int must_wait(al_split before, al_split next)
{
    switch (next) {
    case AL_SPLIT_OWN: return before == AL_SPLIT_ROWS || before == AL_SPLIT_CHANNELS;
    case AL_SPLIT_ROWS: return before != AL_SPLIT_ROWS && before != AL_SPLIT_NONE;
    case AL_SPLIT_CHANNELS: return before != AL_SPLIT_NONE;
    default: return 1; /* ALL_IN reads every feature; NONE waits for everything before it */
    }
}

/* Runs the pass on a team of threads; each computes its share of every
 * layer (layer.h: al_split), and the team waits only where a layer reads
 * what another thread wrote. oneDNN runs on each thread alone inside. A
 * backward split by rows leaves each thread's part of its parameter
 * gradients apart; they are combined after the next wait (`combine`). */
static void run_pass(al_net *net, int backward, int accumulate, float *dx)
{
    int team = team_for(net, net->batch), last = net->n_layers - 1;
    al_status fault = AL_OK;
#pragma omp parallel num_threads(team)
    {
        omp_set_num_threads(1);
        al_status mine = AL_OK;
        al_pass p = make_pass(net, omp_get_thread_num(), omp_get_num_threads(), accumulate, &mine);
        al_split before = AL_SPLIT_OWN;
        al_layer *combine = NULL;
        for (int k = 0; k <= last; k++) {
            int i = backward ? last - k : k;
            al_layer *l = &net->layers[i];
            const float *x = i > 0 ? net->out[i - 1] : net->input;
            al_split split = p.team > 1 ? split_of(l, backward) : AL_SPLIT_OWN;
            if (k > 0 && p.team > 1 && (must_wait(before, split) || (combine && l->type->combine))) {
#pragma omp barrier
                if (combine)
                    combine->type->combine(combine, &p);
                combine = NULL;
            }
            float *g = !backward ? NULL
                       : i > 0 ? net->gout[i - 1]
                               : (dx ? dx : (l->type->dx_optional ? NULL : net->gin));
            if (split != AL_SPLIT_NONE || p.tid == 0) {
                al_pass whole = p;
                whole.team = split == AL_SPLIT_NONE ? 1 : p.team;
                if (backward)
                    l->type->backward(l, &whole, x, net->out[i], net->gout[i], g);
                else
                    l->type->forward(l, &whole, x, net->out[i]);
            }
            if (split == AL_SPLIT_NONE && p.team > 1) {
#pragma omp barrier
            }
            if (backward && l->type->combine) {
                if (p.team > 1)
                    combine = l;
                else
                    l->type->combine(l, &p);
            }
            before = split;
        }
        if (combine || (backward && !accumulate && p.team > 1)) {
#pragma omp barrier
        }
        if (combine)
            combine->type->combine(combine, &p);
        if (backward && !accumulate) {
            /* the gradients' sum of squares while each thread's rows are in its cache */
            if (combine) {
#pragma omp barrier
            }
            al_sumsq_part(net->params, (size_t)net->n_params, p.tid, p.team, net->sumsq);
        }
        if (mine != AL_OK) {
#pragma omp atomic write
            fault = mine;
        }
    }
    net->fault = fault;
}

const float *al_net_forward(al_net *net, const float *x, size_t batch, int training, uint64_t step)
{
    if (batch > net->capacity && al_net_prepare(net, batch, NULL) != AL_OK)
        return NULL;
    net->batch = batch;
    net->training = training;
    net->pass_seed = al_mix64(net->opt.seed ^ al_mix64(step + 0x51ed));
    net->input = x;
    net->have_grads = 0;
    run_pass(net, 0, 1, NULL);
    return net->fault == AL_OK ? net->out[net->n_layers - 1] : NULL;
}

static al_status backward(al_net *net, const float *dy, float *dx, int accumulate)
{
    int last = net->n_layers - 1;
    memcpy(net->gout[last], dy, net->batch * net->layers[last].out * sizeof(float));
    memset(net->sumsq, 0, sizeof net->sumsq);
    run_pass(net, 1, accumulate, dx);
    net->grad_sumsq = accumulate ? NAN : al_sumsq_total(net->sumsq);
    net->have_grads = net->fault == AL_OK;
    return net->fault;
}

al_status al_net_backward(al_net *net, const float *dy, float *dx)
{
    return backward(net, dy, dx, 1);
}

al_status al_net_backward_overwrite(al_net *net, const float *dy, float *dx)
{
    return backward(net, dy, dx, 0);
}

double al_net_grad_sum_squares(const al_net *net)
{
    return net->grad_sumsq;
}

int al_net_threads(const al_net *net)
{
    return net->opt.threads > 0 ? net->opt.threads : omp_get_max_threads();
}

int al_net_activation_derivative(const al_net *net, int index, const float *ones, float *d)
{
    const al_layer *l = &net->layers[index];
    if (!l->type->derivative || !net->input)
        return 0;
    al_status fault = AL_OK; /* activations allocate nothing */
    al_pass p = make_pass(net, 0, 1, 1, &fault);
    l->type->derivative(l, &p, al_net_layer_input(net, index), net->out[index], ones, d);
    return 1;
}
