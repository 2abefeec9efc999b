/* actlab: train neural networks and measure what their activations do.
 * Umbrella header: includes every public module. */
#ifndef ACTLAB_H
#define ACTLAB_H

#include "actlab/status.h"
#include "actlab/rng.h"
#include "actlab/act.h"
#include "actlab/npy.h"
#include "actlab/spec.h"
#include "actlab/util.h"

#endif
