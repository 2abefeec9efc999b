/* Private to the library: the sum of squares of parameter gradients, cut
 * into fixed blocks so that a team can share it and the result does not
 * depend on the team's size (the gradient norm of clipping and of the
 * training step's finiteness check). */
#ifndef ACTLAB_NN_SUMSQ_H
#define ACTLAB_NN_SUMSQ_H

#include <stddef.h>

#include "actlab/nn.h"

/* Each gradient is cut into this many blocks; block k of every gradient adds
 * into sums[k]. */
#define AL_SUMSQ_BLOCKS 64

/* Part `part` of `parts` of the work: blocks [64 part/parts, 64 (part+1)/parts)
 * of every gradient (the rows the same thread computed in a net's backward,
 * for the usual shapes), each summed in double and added to sums[block].
 * Parameters without a gradient are skipped. */
void al_sumsq_part(const al_param_ref *params, size_t n_params, int part, int parts,
                   double sums[AL_SUMSQ_BLOCKS]);

/* The total: sums[0] + ... + sums[63], in that order. */
double al_sumsq_total(const double sums[AL_SUMSQ_BLOCKS]);

#endif
