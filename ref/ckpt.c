/* ckpt.c -- llama2.c version-0 checkpoints: validate, map, export
 * (see ckpt.h). */
#include "ckpt.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "../arch/layout.h"
#include "../arch/schedule.h"
#include "../common/outfile.h"
#include "gguf.h"
#include "hf.h"

#define HEADER_BYTES (7 * 4)

static const char *const field_names[7] = {
    "dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len",
};
enum { F_DIM, F_HIDDEN, F_LAYERS, F_HEADS, F_KV_HEADS, F_VOCAB, F_SEQ };

/* The f32 tensors after the header, in file order; count() is the number
 * of floats of each for header h (head size hd, kv_dim kvd, vocab V). */
enum { T_EMBED, T_RMS_ATT, T_Q, T_K, T_V, T_O, T_RMS_FFN, T_1, T_2, T_3,
       T_RMS_FINAL, T_ROPE_COS, T_ROPE_SIN, T_CLS, T_COUNT };

typedef struct {
    int64_t dim, hidden, layers, heads, kv_heads, vocab, seq, hd, kvd;
    bool tied;
} shape;

/* Floats of tensor t over all layers, or -1 if the product overflows. */
static int64_t count(const shape *h, int t)
{
    int64_t a = 0, b = 0, L = h->layers;
    switch (t) {
    case T_EMBED: case T_CLS: a = h->vocab; b = h->dim; break;
    case T_RMS_ATT: case T_RMS_FFN: a = L; b = h->dim; break;
    case T_Q: case T_O: a = L * h->dim; b = h->dim; break;
    case T_K: case T_V: a = L * h->dim; b = h->kvd; break;
    case T_1: case T_2: case T_3: a = L * h->dim; b = h->hidden; break;
    case T_RMS_FINAL: a = 1; b = h->dim; break;
    case T_ROPE_COS: case T_ROPE_SIN: a = h->seq; b = h->hd / 2; break;
    }
    if (t == T_CLS && h->tied)
        return 0;
    int64_t n;
    return __builtin_mul_overflow(a, b, &n) ? -1 : n;
}

/* Check the header fields; fills h. L*dim fits in 62 bits since both
 * are int32. */
static int check_header(const char *path, const int32_t f[7], shape *h,
                        lk_err *e)
{
    for (int i = 0; i < 7; i++)
        if (f[i] <= 0 && !(i == F_VOCAB && f[i] < 0 && f[i] != INT32_MIN))
            return lk_fail(e, LK_EINPUT, "%s: header field %s is %d (must be %s)",
                           path, field_names[i], f[i],
                           i != F_VOCAB ? "positive"
                           : f[i] ? "above -2147483648: its negation, the untied "
                                    "vocab size, does not fit 32 bits"
                                  : "non-zero");
    *h = (shape){f[F_DIM], f[F_HIDDEN], f[F_LAYERS], f[F_HEADS], f[F_KV_HEADS],
                 f[F_VOCAB] > 0 ? f[F_VOCAB] : -(int64_t)f[F_VOCAB], f[F_SEQ],
                 0, 0, f[F_VOCAB] > 0};
    if (h->dim % h->heads)
        return lk_fail(e, LK_EINPUT, "%s: header field n_heads %lld does not divide dim %lld",
                       path, (long long)h->heads, (long long)h->dim);
    if (h->heads % h->kv_heads)
        return lk_fail(e, LK_EINPUT,
                       "%s: header field n_kv_heads %lld does not divide n_heads %lld",
                       path, (long long)h->kv_heads, (long long)h->heads);
    h->hd = h->dim / h->heads;
    h->kvd = h->hd * h->kv_heads;
    if (h->hd % 2)
        return lk_fail(e, LK_EINPUT, "%s: header field n_heads: head size %lld is odd "
                       "(RoPE rotates pairs)", path, (long long)h->hd);
    return LK_OK;
}

/* Bytes the header says the file has, or LK_EINPUT on overflow. */
static int expected_bytes(const char *path, const shape *h, uint64_t *bytes,
                          lk_err *e)
{
    uint64_t total = HEADER_BYTES;
    for (int t = 0; t < T_COUNT; t++) {
        int64_t n = count(h, t);
        uint64_t b;
        if (n < 0 || __builtin_mul_overflow((uint64_t)n, 4u, &b) ||
            __builtin_add_overflow(total, b, &total))
            return lk_fail(e, LK_EINPUT, "%s: header sizes overflow 64 bits "
                           "(fields dim, hidden_dim, n_layers, vocab_size)", path);
    }
    *bytes = total;
    return LK_OK;
}

/* The spec a header describes, with the caller's choices
 * (arch_spec_take_choices). */
static int header_spec(const char *path, const shape *h, arch_spec *s, lk_err *e)
{
    arch_spec user = *s;
    arch_spec_init(s);
    snprintf(s->name, sizeof s->name, "checkpoint");
    s->layers = h->layers;
    s->dim = h->dim;
    s->heads = h->heads;
    s->kv_heads = h->kv_heads;
    s->head_dim = h->hd;
    s->ffn = ARCH_FFN_SWIGLU;
    s->ffn_dim = h->hidden;
    s->vocab = h->vocab;
    s->tied = h->tied;
    s->share = ARCH_SHARE_NONE;
    s->repeat = 1;
    s->seq_len = h->seq;
    arch_spec_take_choices(s, &user);
    int rc = arch_spec_finish(s, e);
    return rc ? lk_prefix(e, "%s", path) : LK_OK;
}

/* Where each layout tensor of s lies in the mapped file. */
static int tensor_sources(const arch_spec *s, const shape *h, const float *base,
                          const float ***out, lk_err *e)
{
    static const int file_of[ARCH_W_COUNT] = {
        [ARCH_W_EMBED] = T_EMBED, [ARCH_W_RMS_ATT] = T_RMS_ATT, [ARCH_W_Q] = T_Q,
        [ARCH_W_K] = T_K, [ARCH_W_V] = T_V, [ARCH_W_O] = T_O,
        [ARCH_W_RMS_FFN] = T_RMS_FFN, [ARCH_W_1] = T_1, [ARCH_W_2] = T_2,
        [ARCH_W_3] = T_3, [ARCH_W_RMS_FINAL] = T_RMS_FINAL, [ARCH_W_CLS] = T_CLS,
    };
    const float *start[T_COUNT];
    for (int t = 0; t < T_COUNT; t++) {
        start[t] = base;
        base += count(h, t);
    }
    arch_layout l;
    int rc = arch_layout_build(&l, s, e);
    if (rc)
        return rc;
    const float **src = malloc((size_t)l.n * sizeof *src);
    if (!src) {
        arch_layout_free(&l);
        return lk_fail(e, LK_ERUN, "checkpoint: out of memory");
    }
    for (int64_t i = 0; i < l.n; i++) {
        const arch_tensor *t = &l.t[i];
        int64_t per_layer = t->block >= 0 ? t->rows * t->cols : 0;
        src[i] = start[file_of[t->id]] + (t->block >= 0 ? t->block : 0) * per_layer;
    }
    arch_layout_free(&l);
    *out = src;
    return LK_OK;
}

int ckpt_load(ref_weights *w, const char *path, arch_spec *s, pool *p,
              lk_err *e)
{
    if (ref_hf_is_folder(path))
        return ref_hf_load(w, path, s, p, e);
    if (ref_gguf_claims(path))
        return ref_gguf_load(w, path, s, p, e);
    int fd = open(path, O_RDONLY | O_NONBLOCK); /* a FIFO must not block */
    if (fd < 0)
        return lk_fail(e, LK_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    int32_t f[7];
    shape h;
    uint64_t want = 0;
    int rc = LK_OK;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode))
        rc = lk_fail(e, LK_EINPUT, "%s: not a regular file", path);
    else if ((uint64_t)st.st_size < HEADER_BYTES)
        rc = lk_fail(e, LK_EINPUT, "%s: truncated: %lld bytes, the header alone needs %d",
                     path, (long long)st.st_size, HEADER_BYTES);
    else if (pread(fd, f, sizeof f, 0) != (ssize_t)sizeof f)
        rc = lk_fail(e, LK_EINPUT, "%s: cannot read the header: %s", path,
                     strerror(errno));
    else if (!(rc = check_header(path, f, &h, e)) &&
             !(rc = expected_bytes(path, &h, &want, e)) &&
             want != (uint64_t)st.st_size)
        rc = lk_fail(e, LK_EINPUT, "%s: %s: the header says %llu bytes, the file has %lld",
                     path, want > (uint64_t)st.st_size ? "truncated" : "oversized",
                     (unsigned long long)want, (long long)st.st_size);
    if (!rc)
        rc = header_spec(path, &h, s, e);
    void *map = MAP_FAILED;
    if (!rc && (map = mmap(NULL, want, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED)
        rc = lk_fail(e, LK_ERUN, "%s: cannot map: %s", path, strerror(errno));
    close(fd);
    if (rc)
        return rc;

    const float **src = NULL;
    rc = tensor_sources(s, &h, (const float *)((const char *)map + HEADER_BYTES), &src, e);
    if (!rc && (rc = ref_weights_from_f32(w, s, src, p, e)))
        lk_prefix(e, "%s", path);
    free(src);
    if (rc || !arch_stored_f32(s)) { /* converted weights need no mapping */
        munmap(map, want);
        return rc;
    }
    w->map = map;
    w->map_bytes = want;
    return LK_OK;
}

/* ---------------------------------------------------------------------- */
/* export */

typedef struct {
    FILE *f;
    const arch_spec *s;
    const ref_weights *from; /* loaded weights to write, or NULL: the seeded ones */
    uint64_t seed;
    float *row;
} writer;

/* Row r of tensor id of block b (-1: global) of loaded weights m, in f32. */
static void loaded_row(const ref_weights *m, arch_weight id, int64_t b, int64_t r,
                       int64_t cols, float *dst)
{
    const ref_block *k = b >= 0 ? &m->blocks[b] : NULL;
    const float *norm = id == ARCH_W_RMS_ATT ? k->rms_att
                        : id == ARCH_W_RMS_FFN ? k->rms_ffn
                        : id == ARCH_W_RMS_FINAL ? m->rms_final : NULL;
    if (norm) {
        memcpy(dst, norm, (size_t)cols * sizeof *dst);
        return;
    }
    const kern_mat *mats[ARCH_W_COUNT] = {
        [ARCH_W_EMBED] = &m->embed, [ARCH_W_CLS] = &m->cls,
        [ARCH_W_Q] = k ? &k->wq : NULL, [ARCH_W_K] = k ? &k->wk : NULL,
        [ARCH_W_V] = k ? &k->wv : NULL, [ARCH_W_O] = k ? &k->wo : NULL,
        [ARCH_W_1] = k ? &k->w1 : NULL, [ARCH_W_2] = k ? &k->w2 : NULL,
        [ARCH_W_3] = k ? &k->w3 : NULL,
    };
    kern_row_f32(mats[id], r, dst);
}

/* Every row of tensor id for each block in blocks[0 .. n-1] (or once for
 * a global tensor, block -1). */
static void write_tensor(writer *w, arch_weight id, const int64_t *blocks,
                         int64_t n, int64_t rows, int64_t cols)
{
    for (int64_t i = 0; i < n; i++)
        for (int64_t r = 0; r < rows; r++) {
            int64_t b = blocks ? blocks[i] : -1;
            if (w->from)
                loaded_row(w->from, id, b, r, cols, w->row);
            else
                ref_weights_seed_row(w->s, w->seed, id, b, r, cols, w->row);
            fwrite(w->row, sizeof(float), (size_t)cols, w->f);
        }
}

/* The obsolete RoPE tables, written as llama2.c's export.py wrote them
 * (cos, then sin, of pos * 10000^(-2i/hd)); readers skip them. */
static void write_rope(writer *w, int64_t seq, int64_t hd)
{
    for (int which = 0; which < 2; which++)
        for (int64_t pos = 0; pos < seq; pos++) {
            for (int64_t i = 0; i < hd / 2; i++) {
                double a = (double)pos * pow(10000.0, -2.0 * (double)i / (double)hd);
                w->row[i] = (float)(which ? sin(a) : cos(a));
            }
            fwrite(w->row, sizeof(float), (size_t)(hd / 2), w->f);
        }
}

static int check_exportable(const arch_spec *s, bool unroll, int64_t layers,
                            lk_err *e)
{
    if (s->ffn != ARCH_FFN_SWIGLU)
        return lk_fail(e, LK_EINPUT, "ffn: llama2.c checkpoints hold SwiGLU FFNs only");
    if (s->head_dim * s->heads != s->dim)
        return lk_fail(e, LK_EINPUT, "head_dim: llama2.c checkpoints need head_dim "
                       "= dim / heads (%lld), not %lld",
                       (long long)(s->dim / s->heads), (long long)s->head_dim);
    if (s->attn_bias)
        return lk_fail(e, LK_EINPUT, "attn_bias: llama2.c checkpoints hold no attention "
                       "biases");
    if (s->share != ARCH_SHARE_NONE && !unroll)
        return lk_fail(e, LK_EINPUT, "share: llama2.c checkpoints cannot express "
                       "layer sharing; use --unroll");
    int64_t v[] = {s->dim, s->ffn_dim, layers, s->vocab, s->seq_len};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (v[i] > INT32_MAX)
            return lk_fail(e, LK_EINPUT, "%s: %lld does not fit the int32 header",
                           "dim/ffn_dim/layers/vocab/seq_len", (long long)v[i]);
    return LK_OK;
}

/* The header and every tensor in llama2.c's order. */
static void write_model(writer *w, const int64_t *blocks, int64_t n)
{
    const arch_spec *s = w->s;
    int64_t d = s->dim, f = s->ffn_dim, kvd = s->kv_heads * s->head_dim;
    int32_t hdr[7] = {(int32_t)d, (int32_t)f, (int32_t)n, (int32_t)s->heads,
                      (int32_t)s->kv_heads,
                      (int32_t)(s->tied ? s->vocab : -s->vocab), (int32_t)s->seq_len};
    fwrite(hdr, sizeof hdr, 1, w->f);
    write_tensor(w, ARCH_W_EMBED, NULL, 1, s->vocab, d);
    write_tensor(w, ARCH_W_RMS_ATT, blocks, n, 1, d);
    write_tensor(w, ARCH_W_Q, blocks, n, d, d);
    write_tensor(w, ARCH_W_K, blocks, n, kvd, d);
    write_tensor(w, ARCH_W_V, blocks, n, kvd, d);
    write_tensor(w, ARCH_W_O, blocks, n, d, d);
    write_tensor(w, ARCH_W_RMS_FFN, blocks, n, 1, d);
    write_tensor(w, ARCH_W_1, blocks, n, f, d);
    write_tensor(w, ARCH_W_2, blocks, n, d, f);
    write_tensor(w, ARCH_W_3, blocks, n, f, d);
    write_tensor(w, ARCH_W_RMS_FINAL, NULL, 1, 1, d);
    write_rope(w, s->seq_len, s->head_dim);
    if (!s->tied)
        write_tensor(w, ARCH_W_CLS, NULL, 1, s->vocab, d);
}

/* Fail before writing what the disk cannot hold: a file of hundreds of
 * GB would otherwise fill it and fail at the end (aborting o). */
static int check_room(const arch_spec *s, int64_t layers, lk_outfile *o,
                      const char *path, lk_err *e)
{
    shape h = {s->dim, s->ffn_dim, layers, s->heads, s->kv_heads, s->vocab, s->seq_len,
               s->head_dim, s->kv_heads * s->head_dim, s->tied};
    uint64_t need = 0;
    struct statvfs fs;
    int rc = expected_bytes(path, &h, &need, e);
    if (!rc && fstatvfs(fileno(o->f), &fs) == 0 &&
        (uint64_t)fs.f_bavail * fs.f_frsize < need)
        rc = lk_fail(e, LK_ERUN, "%s: needs %.1f MB, its disk has %.1f MB free", path,
                     (double)need / 1e6, (double)fs.f_bavail * fs.f_frsize / 1e6);
    if (rc)
        lk_outfile_abort(o);
    return rc;
}

/* The model of spec s, seeded or from weights `from`, to path. */
static int export_model(const arch_spec *s, const ref_weights *from, uint64_t seed,
                        bool unroll, const char *path, lk_err *e)
{
    int64_t n = unroll ? arch_executed_layers(s) : s->layers;
    int rc = check_exportable(s, unroll, n, e);
    if (rc)
        return rc;
    int64_t *blocks = malloc((size_t)n * sizeof *blocks);
    int64_t wide = s->ffn_dim > s->dim ? s->ffn_dim : s->dim;
    writer w = {NULL, s, from, seed, malloc((size_t)wide * sizeof(float))};
    lk_outfile o;
    if (!blocks || !w.row)
        rc = lk_fail(e, LK_ERUN, "export: out of memory");
    else if (!(rc = lk_outfile_open(&o, path, e)))
        rc = check_room(s, n, &o, path, e);
    if (!rc) {
        if (unroll)
            arch_schedule(s, blocks);
        else
            for (int64_t i = 0; i < n; i++)
                blocks[i] = i;
        w.f = o.f;
        write_model(&w, blocks, n);
        rc = lk_outfile_commit(&o, e);
    }
    free(blocks);
    free(w.row);
    return rc;
}

int ckpt_export(const arch_spec *s, uint64_t seed, bool unroll,
                const char *path, lk_err *e)
{
    return export_model(s, NULL, seed, unroll, path, e);
}

int ckpt_export_weights(const ref_weights *w, bool unroll, const char *path,
                        lk_err *e)
{
    return export_model(&w->spec, w, 0, unroll, path, e);
}
