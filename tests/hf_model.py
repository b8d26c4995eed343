#!/usr/bin/env python3
"""hf_model.py -- a tiny random llama model as a Hugging Face folder, the
same weights as a llama2.c file, and its logits by an independent
pure-Python implementation of Hugging Face's LlamaForCausalLM (for
tests/test_hf.c; standard library only).

    python3 tests/hf_model.py DIR DTYPE TIED SHARDS [CORRUPT] --tokens a,b,c

writes DIR/config.json and DIR/model.safetensors (SHARDS 1) or
model-0000k-of-0000N.safetensors with model.safetensors.index.json, in
DTYPE F32, F16 or BF16; DIR.bin, the llama2.c version-0 file of the same
(rounded) weights in f32; and prints the logits after the prompt, one per
line. CORRUPT breaks one thing for the error tests: header (header
length beyond the file), offsets (model.norm.weight's end beyond the
data), missing (no model.norm.weight), shape (k_proj of layer 1 with its
dimensions swapped), eps (rms_norm_eps 1e-6 in config.json). CORRUPT bias
is no fault: q_proj, k_proj and v_proj get biases (0 +- 0.5, large enough
that a wrong order of their elements moves the logits) and config.json
attention_bias true, as Qwen2's (the llama2.c file cannot hold them and
leaves them out). CORRUPT theta is none either: rope_theta 500000 (Llama
3's) in config.json and the reference; nor llama3: Llama 3.1's
rope_scaling (rope_type llama3, factor 8, low_freq_factor 1,
high_freq_factor 4, original_max_position_embeddings 64, so that this
model's four frequencies fall in all three of its bands), applied to the
frequencies as transformers' _compute_llama3_parameters does.

The reference follows transformers' modeling_llama: RMSNorm
x * rsqrt(mean(x^2) + eps) * w, rotate-half RoPE on q_proj/k_proj as
stored (element i with i + hd/2, frequency theta^(-2i/hd)), causal
softmax attention scaled by 1/sqrt(hd) with query head h reading
key/value head h // (H/K), SwiGLU down(silu(gate x) * up x), the final
norm and lm_head (or the embedding when tied). Arithmetic in doubles.
"""
import json
import math
import random
import struct
import sys

DIM, HEADS, KV_HEADS, FFN, LAYERS, VOCAB, SEQ = 32, 4, 2, 48, 2, 37, 16
HD = DIM // HEADS
EPS, THETA = 1e-5, 10000.0
LLAMA3 = None  # rope_scaling, when the model has one


def round_to(dtype, v):
    """v as the file stores it, back in Python's float."""
    v = struct.unpack('<f', struct.pack('<f', v))[0]
    if dtype == 'F16':
        return struct.unpack('<e', struct.pack('<e', v))[0]
    if dtype == 'BF16':  # round to nearest even on the top 16 bits
        u = struct.unpack('<I', struct.pack('<f', v))[0]
        u = (u + 0x7FFF + (u >> 16 & 1)) & 0xFFFF0000
        return struct.unpack('<f', struct.pack('<I', u))[0]
    return v


def pack(dtype, values):
    if dtype == 'F32':
        return struct.pack('<%df' % len(values), *values)
    if dtype == 'F16':
        return struct.pack('<%de' % len(values), *values)
    return b''.join(struct.pack('<I', struct.unpack('<I', struct.pack('<f', v))[0])[2:]
                    for v in values)


def make_weights(rng, dtype, tied, bias):
    def mat(rows, cols):
        a = math.sqrt(3.0 / cols)
        return [[round_to(dtype, rng.uniform(-a, a)) for _ in range(cols)]
                for _ in range(rows)]

    def norm():
        return [round_to(dtype, 1.0 + rng.uniform(-0.1, 0.1)) for _ in range(DIM)]

    w = {'model.embed_tokens.weight': mat(VOCAB, DIM)}
    for l in range(LAYERS):
        p = 'model.layers.%d.' % l
        w[p + 'input_layernorm.weight'] = norm()
        w[p + 'self_attn.q_proj.weight'] = mat(HEADS * HD, DIM)
        w[p + 'self_attn.k_proj.weight'] = mat(KV_HEADS * HD, DIM)
        w[p + 'self_attn.v_proj.weight'] = mat(KV_HEADS * HD, DIM)
        w[p + 'self_attn.o_proj.weight'] = mat(DIM, HEADS * HD)
        for name, n in (('q', HEADS), ('k', KV_HEADS), ('v', KV_HEADS)):
            if bias:
                w[p + 'self_attn.%s_proj.bias' % name] = [
                    round_to(dtype, rng.uniform(-0.5, 0.5)) for _ in range(n * HD)]
        w[p + 'post_attention_layernorm.weight'] = norm()
        w[p + 'mlp.gate_proj.weight'] = mat(FFN, DIM)
        w[p + 'mlp.up_proj.weight'] = mat(FFN, DIM)
        w[p + 'mlp.down_proj.weight'] = mat(DIM, FFN)
    w['model.norm.weight'] = norm()
    if not tied:
        w['lm_head.weight'] = mat(VOCAB, DIM)
    return w


def flat(t):
    return [v for row in t for v in row] if isinstance(t[0], list) else list(t)


def shape(t):
    return [len(t), len(t[0])] if isinstance(t[0], list) else [len(t)]


def write_safetensors(path, dtype, tensors, corrupt):
    header, blobs, at = {}, [], 0
    for name, t in tensors.items():
        data = pack(dtype, flat(t))
        sh = shape(t)
        if corrupt == 'shape' and name == 'model.layers.1.self_attn.k_proj.weight':
            sh = sh[::-1]
        end = at + len(data)
        if corrupt == 'offsets' and name == 'model.norm.weight':
            end += 1 << 20
        header[name] = {'dtype': dtype, 'shape': sh, 'data_offsets': [at, end]}
        blobs.append(data)
        at += len(data)
    text = json.dumps(header).encode()
    text += b' ' * (-len(text) % 8)  # as safetensors pads it
    n = len(text) + (1 << 30 if corrupt == 'header' else 0)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', n) + text + b''.join(blobs))


def write_folder(d, dtype, tied, shards, corrupt, w):
    config = {'architectures': ['LlamaForCausalLM'], 'hidden_size': DIM,
              'intermediate_size': FFN, 'num_hidden_layers': LAYERS,
              'num_attention_heads': HEADS, 'num_key_value_heads': KV_HEADS,
              'vocab_size': VOCAB, 'max_position_embeddings': SEQ,
              'hidden_act': 'silu', 'rms_norm_eps': 1e-6 if corrupt == 'eps' else EPS,
              'rope_theta': THETA, 'attention_bias': corrupt == 'bias',
              'rope_scaling': LLAMA3,
              'tie_word_embeddings': tied, 'torch_dtype': 'float32'}
    with open(d + '/config.json', 'w') as f:
        json.dump(config, f, indent=2)
    tensors = {k: v for k, v in w.items()
               if not (corrupt == 'missing' and k == 'model.norm.weight')}
    if shards == 1:
        write_safetensors(d + '/model.safetensors', dtype, tensors, corrupt)
        return
    names = list(tensors)
    weight_map = {}
    for k in range(shards):
        file = 'model-%05d-of-%05d.safetensors' % (k + 1, shards)
        part = {n: tensors[n] for n in names[k::shards]}
        weight_map.update({n: file for n in part})
        write_safetensors(d + '/' + file, dtype, part, corrupt)
    with open(d + '/model.safetensors.index.json', 'w') as f:
        json.dump({'metadata': {}, 'weight_map': weight_map}, f)


def interleave(t, n_heads):
    """Hugging Face's rotate-half rows into llama2.c's adjacent pairs."""
    out = []
    for h in range(n_heads):
        for i in range(HD // 2):
            out.append(t[h * HD + i])
            out.append(t[h * HD + HD // 2 + i])
    return out


def write_llama2c(path, tied, w):
    def layers(name, n_heads=0):
        rows = []
        for l in range(LAYERS):
            t = w['model.layers.%d.%s' % (l, name)]
            rows += flat(interleave(t, n_heads) if n_heads else t)
        return rows

    parts = [flat(w['model.embed_tokens.weight']), layers('input_layernorm.weight'),
             layers('self_attn.q_proj.weight', HEADS),
             layers('self_attn.k_proj.weight', KV_HEADS),
             layers('self_attn.v_proj.weight'), layers('self_attn.o_proj.weight'),
             layers('post_attention_layernorm.weight'), layers('mlp.gate_proj.weight'),
             layers('mlp.down_proj.weight'), layers('mlp.up_proj.weight'),
             flat(w['model.norm.weight']), [0.0] * (SEQ * HD)]
    if not tied:
        parts.append(flat(w['lm_head.weight']))
    with open(path, 'wb') as f:
        f.write(struct.pack('<7i', DIM, FFN, LAYERS, HEADS, KV_HEADS,
                            VOCAB if tied else -VOCAB, SEQ))
        for p in parts:
            f.write(pack('F32', p))


def matvec(m, x):
    return [sum(a * b for a, b in zip(row, x)) for row in m]


def rmsnorm(x, g):
    r = 1.0 / math.sqrt(sum(v * v for v in x) / len(x) + EPS)
    return [v * r * gi for v, gi in zip(x, g)]


def inv_freq(i):
    """Frequency of pair i: THETA^(-2i/HD), then Llama 3's bands if any."""
    f = THETA ** (-2.0 * i / HD)
    if not LLAMA3:
        return f
    factor, lo, hi = LLAMA3['factor'], LLAMA3['low_freq_factor'], LLAMA3['high_freq_factor']
    old = LLAMA3['original_max_position_embeddings']
    wavelen = 2 * math.pi / f
    if wavelen < old / hi:
        return f
    if wavelen > old / lo:
        return f / factor
    smooth = (old / wavelen - lo) / (hi - lo)
    return (1 - smooth) * f / factor + smooth * f


def rope(v, pos):
    """transformers' apply_rotary_pos_emb on one head: v*cos + rotate_half(v)*sin."""
    half = HD // 2
    out = list(v)
    for i in range(half):
        a = pos * inv_freq(i)
        c, s = math.cos(a), math.sin(a)
        out[i] = v[i] * c - v[i + half] * s
        out[i + half] = v[i + half] * c + v[i] * s
    return out


def logits(w, tied, tokens):
    keys = [[] for _ in range(LAYERS)]
    vals = [[] for _ in range(LAYERS)]
    for pos, tok in enumerate(tokens):
        x = list(w['model.embed_tokens.weight'][tok])
        for l in range(LAYERS):
            p = 'model.layers.%d.' % l
            h = rmsnorm(x, w[p + 'input_layernorm.weight'])
            q = matvec(w[p + 'self_attn.q_proj.weight'], h)
            k = matvec(w[p + 'self_attn.k_proj.weight'], h)
            v = matvec(w[p + 'self_attn.v_proj.weight'], h)
            if p + 'self_attn.q_proj.bias' in w:  # Qwen2: before RoPE
                q = [a + b for a, b in zip(q, w[p + 'self_attn.q_proj.bias'])]
                k = [a + b for a, b in zip(k, w[p + 'self_attn.k_proj.bias'])]
                v = [a + b for a, b in zip(v, w[p + 'self_attn.v_proj.bias'])]
            q = [e for hh in range(HEADS) for e in rope(q[hh * HD:(hh + 1) * HD], pos)]
            k = [e for hh in range(KV_HEADS) for e in rope(k[hh * HD:(hh + 1) * HD], pos)]
            keys[l].append(k)
            vals[l].append(v)
            att = []
            for hh in range(HEADS):
                g = hh // (HEADS // KV_HEADS)
                qh = q[hh * HD:(hh + 1) * HD]
                sc = [sum(a * b for a, b in zip(qh, kk[g * HD:(g + 1) * HD])) / math.sqrt(HD)
                      for kk in keys[l]]
                m = max(sc)
                ex = [math.exp(s - m) for s in sc]
                tot = sum(ex)
                att += [sum(ex[t] / tot * vals[l][t][g * HD + d] for t in range(len(ex)))
                        for d in range(HD)]
            x = [a + b for a, b in zip(x, matvec(w[p + 'self_attn.o_proj.weight'], att))]
            h = rmsnorm(x, w[p + 'post_attention_layernorm.weight'])
            gate = matvec(w[p + 'mlp.gate_proj.weight'], h)
            up = matvec(w[p + 'mlp.up_proj.weight'], h)
            act = [gg / (1.0 + math.exp(-gg)) * u for gg, u in zip(gate, up)]
            x = [a + b for a, b in zip(x, matvec(w[p + 'mlp.down_proj.weight'], act))]
    x = rmsnorm(x, w['model.norm.weight'])
    return matvec(w['model.embed_tokens.weight' if tied else 'lm_head.weight'], x)


def main():
    args = sys.argv[1:]
    tokens = [int(t) for t in args[args.index('--tokens') + 1].split(',')]
    args = args[:args.index('--tokens')]
    d, dtype, tied, shards = args[0], args[1], args[2] == '1', int(args[3])
    corrupt = args[4] if len(args) > 4 else ''
    global THETA, LLAMA3
    if corrupt == 'theta':
        THETA = 500000.0
    if corrupt == 'llama3':
        LLAMA3 = {'rope_type': 'llama3', 'factor': 8.0, 'low_freq_factor': 1.0,
                  'high_freq_factor': 4.0, 'original_max_position_embeddings': 64}
    w = make_weights(random.Random(19), dtype, tied, corrupt == 'bias')
    write_folder(d, dtype, tied, shards, corrupt, w)
    write_llama2c(d + '.bin', tied, w)
    for v in logits(w, tied, tokens):
        print('%.17g' % v)


main()
