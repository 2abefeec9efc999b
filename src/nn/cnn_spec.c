/* Spec text for plain convolutional nets, so that a study can vary the
 * activation and the depth of a CNN as it does an MLP's. */
#include "actlab/nn.h"

#include <stdlib.h>
#include <string.h>

#include "actlab/util.h"

al_cnn_options al_cnn_options_default(void)
{
    al_cnn_options o = {1, 32, 10, 4, 2, 0, 0, 1};
    return o;
}

/* act with every "{channels}" replaced by the channel count. */
static void append_act(al_buf *b, const char *act, size_t channels)
{
    static const char key[] = "{channels}";
    for (const char *s = act; *s;) {
        const char *hit = strstr(s, key);
        if (!hit) {
            al_buf_append(b, s, strlen(s));
            return;
        }
        al_buf_append(b, s, (size_t)(hit - s));
        al_buf_printf(b, "%zu", channels);
        s = hit + sizeof key - 1;
    }
}

al_status al_cnn_spec(const al_cnn_options *options, const char *act, char **out, al_error *err)
{
    al_cnn_options o = options ? *options : al_cnn_options_default();
    *out = NULL;
    if (!o.in_channels || !o.width || !o.classes || !o.head || o.blocks < 1 || o.pool_every < 0 ||
        o.max_pools < 0 || !act)
        return al_error_set(err, AL_ERR_INVALID, "a CNN needs input channels, a width, classes and a head above 0, "
                            "blocks >= 1, pool_every and max_pools >= 0 and an activation (got %zu, %zu, %zu, %zu, "
                            "%d, %d, %d)", o.in_channels, o.width, o.classes, o.head, o.blocks, o.pool_every,
                            o.max_pools);
    al_buf b = {0};
    int pools = 0;
    for (int k = 0; k < o.blocks; k++) {
        al_buf_printf(&b, "Conv2d(%zu, %zu, 3, padding=1%s), ", k ? o.width : o.in_channels, o.width,
                      o.batchnorm ? ", bias=False" : "");
        if (o.batchnorm)
            al_buf_printf(&b, "BatchNorm2d(%zu), ", o.width);
        append_act(&b, act, o.width);
        al_buf_printf(&b, ", ");
        if (o.pool_every && (k + 1) % o.pool_every == 0 && (!o.max_pools || pools < o.max_pools)) {
            al_buf_printf(&b, "MaxPool2d(2), ");
            pools++;
        }
    }
    al_buf_printf(&b, "AdaptiveAvgPool2d(%zu), Flatten(), Linear(%zu, %zu)", o.head, o.width * o.head * o.head,
                  o.classes);
    if (b.failed || !b.data) {
        al_buf_free(&b);
        return al_error_set(err, AL_ERR_NOMEM, "out of memory writing a CNN spec");
    }
    *out = b.data;
    return AL_OK;
}
