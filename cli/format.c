/* Numbers as the commands print them in progress lines and results. */
#include <math.h>
#include <stdio.h>

#include "cli.h"

const char *cli_num(double v, char *buf, size_t size)
{
    if (isnan(v))
        snprintf(buf, size, "nan");
    else if (isinf(v) || fabs(v) >= 1e6 || (v != 0 && fabs(v) < 1e-4))
        snprintf(buf, size, "%.4g", v);
    else
        snprintf(buf, size, "%.4f", v);
    return buf;
}
