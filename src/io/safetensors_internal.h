/* Private to src/io's safetensors code (safetensors.c, tensors_check.c). */
#ifndef ACTLAB_IO_SAFETENSORS_INTERNAL_H
#define ACTLAB_IO_SAFETENSORS_INTERNAL_H

#include <stddef.h>

#include "actlab/npy.h"

/* the longest piece of a name or of Jansson's text echoed in a message */
#define ECHO_MAX 64
#define SHAPE_TEXT_BYTES (AL_NPY_MAX_RANK * 22 + 3)

/* Copies text from a file into buf for a message: control bytes become '?'
 * and long text is cut (at a UTF-8 boundary) with "...". */
void al_safetensors_echo(const char *s, char *buf, size_t size);

#endif
