/* actlab: train neural networks and measure what their activations do.
 * Umbrella header: includes every public module.
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
#include "actlab/act.h"
#include "actlab/npy.h"
#include "actlab/spec.h"
#include "actlab/util.h"
#include "actlab/data.h"
#include "actlab/safetensors.h"
#include "actlab/stats.h"
#include "actlab/compare.h"
#include "actlab/report.h"
#include "actlab/study.h"
#include "actlab/optim.h"
#include "actlab/probe.h"
#include "actlab/nn.h"
#include "actlab/svg.h"
#include "actlab/loss.h"
#include "actlab/train.h"
#include "actlab/gradcheck.h"

#endif
