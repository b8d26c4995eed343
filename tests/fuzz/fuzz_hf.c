/* fuzz_hf.c -- ref_hf_load(): a safetensors file's header length, JSON
 * header, dtypes, shapes and offsets, in a folder whose config.json is
 * tests/hf_model.py's model (so the seeds, that script's files, load),
 * converted to f32 and to f16. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../ref/hf.h"
#include "fuzz.h"

static const char config[] =
    "{\"hidden_size\": 32, \"intermediate_size\": 48, \"num_hidden_layers\": 2,"
    " \"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"vocab_size\": 37,"
    " \"max_position_embeddings\": 16, \"hidden_act\": \"silu\"}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pool *p;
    static char dir[64] = "/tmp/lanky-fuzz-hf-XXXXXX", path[128];
    lk_err e = {0};
    if (!p) {
        if (pool_create(&p, 1, &e) || !mkdtemp(dir))
            abort();
        snprintf(path, sizeof path, "%s/config.json", dir);
        FILE *f = fopen(path, "w");
        if (!f || fputs(config, f) < 0 || fclose(f))
            abort();
        snprintf(path, sizeof path, "%s/model.safetensors", dir);
    }
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f))
        abort();
    arch_spec s;
    arch_spec_init(&s);
    s.dtype = size % 2 ? ARCH_F16 : ARCH_F32;
    s.ctx = 0;
    ref_weights w;
    if (ref_hf_load(&w, dir, &s, p, &e) == LK_OK)
        ref_weights_free(&w);
    return 0;
}
