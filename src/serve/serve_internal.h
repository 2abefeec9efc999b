/* The playground server's internals: a run's configuration (config.c), the
 * run itself (run.c: data, net, optimizer, probes, one training step, the
 * evaluation behind each frame), the JSON it streams (frame.c), its exports
 * (export.c) and the HTTP side (server.c, stream.c). */
#ifndef ACTLAB_SERVE_INTERNAL_H
#define ACTLAB_SERVE_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "actlab/act.h"
#include "actlab/data.h"
#include "actlab/jsonl.h"
#include "actlab/nn.h"
#include "actlab/optim.h"
#include "actlab/probe.h"
#include "actlab/serve.h"
#include "actlab/status.h"
#include "actlab/synth.h"
#include "actlab/util.h"

/* ---- bounds on everything the page may ask for ---- */
#define SV_MAX_HIDDEN 6          /* 2-D: hidden layers 0..6 */
#define SV_MAX_UNITS 8           /* 2-D: units per hidden layer 1..8 */
#define SV_FASHION_MAX_HIDDEN 4
#define SV_FASHION_MAX_UNITS 128
#define SV_MIN_SAMPLES 20
#define SV_MAX_SAMPLES 2000
#define SV_MAX_BATCH 256         /* 2-D */
#define SV_FASHION_MAX_BATCH 512
#define SV_MIN_LR 1e-5
#define SV_MAX_LR 10.0
#define SV_MAX_REG_RATE 10.0
#define SV_MAX_SPEED 100         /* optimizer steps per frame */
#define SV_MAX_SEED 2147483647L
#define SV_MAX_EDIT 100.0        /* |weight| or |bias| the page may set */
#define SV_ACT_TEXT 160
#define SV_MAX_BODY 16384        /* request body bytes */

#define SV_GRID 50               /* output heatmap: SV_GRID x SV_GRID over [-6, 6]^2 */
#define SV_UNIT_GRID 25          /* unit heatmaps: every second grid point */
#define SV_DOMAIN 6.0
#define SV_FRAME_HZ 20
#define SV_FASHION_EVAL 1000     /* Fashion-MNIST: rows of each set evaluated per frame */
#define SV_LOG_CAP 4096          /* log records kept; past this every second one is dropped */
#define SV_CURVE_POINTS 161
#define SV_JSON_DIGITS 9         /* the page's JSON: every float32 and every value typed reads back */
#define SV_FRAME_DIGITS 6        /* frames (20 Hz) are only drawn */

typedef enum sv_opt { SV_OPT_SGD, SV_OPT_MOMENTUM, SV_OPT_ADAM } sv_opt;
typedef enum sv_reg { SV_REG_NONE, SV_REG_L1, SV_REG_L2 } sv_reg;

/* Everything that defines a run; validated by sv_config_parse. */
typedef struct sv_config {
    int fashion;                 /* 1: Fashion-MNIST with a small MLP; 0: a 2-D dataset */
    al_synth_kind dataset;
    int regression;              /* follows the dataset */
    int noise;                   /* percent, 0..50 */
    int train_ratio;             /* percent of the points used for training, 10..90 */
    int samples;                 /* points generated */
    int batch;
    long seed;                   /* data, initialisation and batch order */
    int n_features;
    al_synth_feature features[AL_FEAT_COUNT];
    int n_hidden;
    int hidden[SV_FASHION_MAX_HIDDEN > SV_MAX_HIDDEN ? SV_FASHION_MAX_HIDDEN : SV_MAX_HIDDEN];
    char act_text[SV_ACT_TEXT];  /* as al_act_format writes it */
    al_act act;
    sv_opt opt;
    double lr, momentum;
    sv_reg reg;
    double reg_rate;
    al_init_scheme init;
    int batchnorm;
    int speed;                   /* optimizer steps per frame while playing */
} sv_config;

/* The playground's defaults: circle, noise 0, 50% train, batch 10, x1 and x2,
 * two hidden layers of 4 and 2, tanh, SGD at 0.03, no regularisation. */
sv_config sv_config_default(void);
/* Parses a JSON object of config fields (missing fields keep their value in
 * *cfg); unknown fields, wrong types and values out of bounds are
 * AL_ERR_INVALID with a message naming the field and its range. */
al_status sv_config_parse(const char *json, size_t len, sv_config *cfg, al_error *err);
/* Adds cfg, as the JSON object sv_config_parse reads, under key in `in`
 * (NULL: the record's top level). */
void sv_config_json(const sv_config *cfg, al_json *rec, struct json_t *in, const char *key);
/* Adds "config": {...} and "spec": "..." to the record's top level. */
void sv_config_describe(const sv_config *cfg, al_json *rec);
/* The model spec of cfg ("Linear(2, 4), Tanh(), ..."). */
void sv_config_spec(const sv_config *cfg, al_buf *out);
/* Input and output widths of cfg's net. */
int sv_config_inputs(const sv_config *cfg);
int sv_config_outputs(const sv_config *cfg);
/* The `actlab train` command that trains cfg's net for `steps` steps (with
 * comments on anything it cannot express). */
void sv_config_command(const sv_config *cfg, long steps, al_buf *out);

/* Fashion-MNIST, loaded once for every run that asks (read-only after). */
typedef struct sv_fashion {
    pthread_mutex_t lock;
    const char *dir;
    al_dataset *train, *test;
    al_status status;            /* of the load, once tried */
    char message[AL_ERROR_MESSAGE_BYTES];
    int tried;
} sv_fashion;

/* One hidden layer as the page draws it. */
typedef struct sv_layer_view {
    int act_index;               /* the activation layer's index in the net */
    int units;
    uint8_t dead[SV_FASHION_MAX_UNITS]; /* f' = 0 on every evaluated training row */
} sv_layer_view;

/* The log records kept for the JSONL export. */
typedef struct sv_log {
    al_buf lines;                /* one JSON record per line */
    size_t count;
    long stride;                 /* a record every stride epochs */
} sv_log;

/* A run's data, model and measurements: built from cfg in one go (so a bad
 * config leaves the running model untouched) and owned by one run. */
typedef struct sv_model {
    sv_config cfg;
    sv_fashion *fashion;         /* set by the caller before sv_model_build */
    /* data: 2-D runs own theirs; Fashion-MNIST runs borrow the shared sets */
    al_synth_point *points;      /* train points first, then test */
    size_t n_train, n_test;
    al_dataset *train, *test;
    int own_data;
    float *train_target, *test_target; /* regression targets */
    /* model */
    al_net *net;
    al_optim *opt;
    al_probe *probe;             /* keeps only its latest probe point */
    al_batcher *batcher;
    long step, epoch, batch_in_epoch, per_epoch;
    int n_layers_view;
    sv_layer_view layers[SV_FASHION_MAX_HIDDEN > SV_MAX_HIDDEN ? SV_FASHION_MAX_HIDDEN : SV_MAX_HIDDEN];
    double train_loss, test_loss, train_acc, test_acc;
    /* buffers, sized once per build */
    float *xb, *yt, *dlogits, *ones, *deriv, *grid_x;
    int32_t *yb;
    size_t max_rows;
    sv_log log;
} sv_model;

/* Builds data, net, optimizer, batcher and probes from m->cfg (m->fashion
 * set, everything else zero); on failure m holds nothing and err says why. */
al_status sv_model_build(sv_model *m, al_error *err);
/* Frees the model's data, net and buffers and zeroes them (cfg and fashion stay). */
void sv_model_clear(sv_model *m);
/* One optimizer step, in al_train's order; a non-finite loss is an error. */
al_status sv_model_step(sv_model *m, al_error *err);
/* Losses, accuracies and dead units on the evaluated rows. */
void sv_model_evaluate(sv_model *m);
/* The latest probe record of hidden layer `view` (NULL before the first probe point). */
const al_probe_record *sv_model_probe(const sv_model *m, int view);
/* The units of a hidden layer marked dead. */
int sv_dead_count(const sv_layer_view *v);
/* Sets one weight (from >= 0) or bias (from < 0) of unit `unit` in Linear
 * layer `layer` (1-based over the net's Linear layers). */
al_status sv_model_edit(sv_model *m, int layer, int unit, int from, double value, al_error *err);

/* Each fills a record the caller has begun (al_json_begin; the table:
 * al_json_begin_array) and writes. */
/* The "init" event: config, spec, layer sizes, data points, the activation
 * curve with its kinks. */
void sv_frame_init(const sv_model *m, const char *id, const char *error, al_json *rec);
/* The "frame" event: step, losses, heatmaps, weights, dead units, probes. */
void sv_frame_update(sv_model *m, int playing, const char *error, al_json *rec);
/* The activation table (GET /api/activations), a top-level array. */
void sv_frame_activations(al_json *rec);

/* Appends the run's current state as one JSON line to its log. */
void sv_log_record(sv_model *m);
/* Frees the log. */
void sv_log_free(sv_log *log);

/* Exports: the weights as a safetensors image (free() it), the JSONL log, the
 * train/test sets as CSV (2-D), the equivalent command. */
al_status sv_export_weights(sv_model *m, char **bytes, size_t *size, al_error *err);
al_status sv_export_log(const sv_model *m, const char *id, al_buf *out);
void sv_export_csv(const sv_model *m, int test, al_buf *out);
void sv_export_command(const sv_model *m, al_buf *out);

/* Loads Fashion-MNIST once (thread-safe); later calls return the first result. */
al_status sv_fashion_get(sv_fashion *f, al_dataset **train, al_dataset **test, al_error *err);

/* The web page's files, embedded at build time (web_assets.c, generated). */
typedef struct sv_asset {
    const char *path;            /* "/index.html" */
    const char *mime;
    const unsigned char *data;
    size_t size;
} sv_asset;
extern const sv_asset sv_assets[];
extern const size_t sv_asset_count;

#endif
