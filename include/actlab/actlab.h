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
#include "actlab/data.h"
#include "actlab/safetensors.h"
#include "actlab/jsonl.h"
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
