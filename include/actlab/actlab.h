/* actlab: train neural networks and measure what their activations do.
 * Umbrella header: includes every public module (each also stands alone).
 *
 * A net from a spec, a few training steps, and what its ReLU did; the test
 * test_header_example compiles and runs this very text:
 *
 * ```c
 * #include <stdio.h>
 * #include <actlab/actlab.h>
 *
 * int main(void)
 * {
 *     al_error err = {0};
 *     al_dataset *train = NULL;
 *     al_net *net = NULL;
 *     al_probe *probe = NULL;
 *     al_net_options net_options = al_net_options_default();
 *     net_options.init = AL_INIT_KAIMING_NORMAL;        // He init for the ReLU
 *     al_train_options options = al_train_options_default();
 *     options.steps = 100;                              // a few steps, not epochs
 *     options.optim.lr = 0.05;
 *     if (al_dataset_load_fashion_mnist(NULL, AL_DATA_TRAIN, &train, &err) == AL_OK &&
 *         al_net_create("Linear(784, 128), ReLU(), Linear(128, 10)", &net_options, &net, &err) == AL_OK &&
 *         al_probe_create(net, NULL, &probe, &err) == AL_OK) {
 *         options.probe = probe;                        // per-layer statistics while training
 *         al_train_progress end;
 *         if (al_train(net, train, NULL, &options, NULL, NULL, &end, &err) == AL_OK) {
 *             const al_probe_record *relu = al_probe_last_epoch(probe, 1);  // module 1: ReLU()
 *             printf("loss %.3f; dead units %.1f%%; f'(x) = 0 for %.1f%% of inputs\n", end.loss,
 *                    100 * relu->dead, 100 * relu->deriv_zero);
 *         }
 *     }
 *     if (err.status != AL_OK)
 *         fprintf(stderr, "%s\n", err.message);
 *     al_probe_free(probe);
 *     al_net_free(net);
 *     al_dataset_free(train);
 *     return err.status != AL_OK;
 * }
 * ```
 * Build: cc example.c $(pkg-config --cflags --libs actlab). The folders and how
 * one batch travels through them: docs/architecture.md.
 *
 * Conventions every header follows (a function's own comment says when it
 * departs from them):
 *  - Functions that build something (al_X_create, _load, _read, _from_...)
 *    allocate what they return through an out-parameter: free it with the
 *    matching al_X_free, which accepts NULL. On failure the out-parameter is
 *    NULL (or zeroed) and there is nothing to free.
 *  - Accessors (al_dataset_x, al_net_params, ...) return pointers owned by
 *    the object, valid until it is freed or changed, and never NULL unless
 *    their comment says "or NULL"; *_name functions return static strings.
 *  - Other functions returning al_status allocate only what their comment
 *    names ("allocates"), and release it themselves on failure.
 *  - Nothing prints; progress and stop requests go through callbacks.
 * Linking against an installed libactlab: docs/embedding.md. */
#ifndef ACTLAB_H
#define ACTLAB_H

#include "actlab/status.h"
#include "actlab/rng.h"
#include "actlab/util.h"
#include "actlab/array.h"
#include "actlab/npy.h"
#include "actlab/safetensors.h"
#include "actlab/jsonl.h"
#include "actlab/spec.h"
#include "actlab/act.h"
#include "actlab/nn.h"
#include "actlab/loss.h"
#include "actlab/optim.h"
#include "actlab/data.h"
#include "actlab/probe.h"
#include "actlab/gradcheck.h"
#include "actlab/train.h"
#include "actlab/stats.h"
#include "actlab/svg.h"
#include "actlab/report.h"
#include "actlab/cluster.h"
#include "actlab/compare.h"
#include "actlab/study.h"

#endif
