/* Private to src/io's NPY reader (npy.c) and writer (npy_write.c). */
#ifndef ACTLAB_IO_NPY_FORMAT_H
#define ACTLAB_IO_NPY_FORMAT_H

/* Every NPY file starts with these bytes, then the version (major, minor). */
static const unsigned char NPY_MAGIC[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
#define NPY_MAGIC_BYTES 6

#endif
