/* Private to src/data: byte features to floats. */
#ifndef ACTLAB_DATA_CONVERT_H
#define ACTLAB_DATA_CONVERT_H

#include <stddef.h>
#include <stdint.h>

/* out[i] = bytes[i] / 255, rounded once to float32: the values a u8 source
 * has always had (the same as (float)(b / 255.0) for every byte). */
void al_bytes_to_unit(const uint8_t *bytes, float *out, size_t n);

#endif
