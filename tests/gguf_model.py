#!/usr/bin/env python3
"""gguf_model.py -- tests/hf_model.py's tiny llama model as a GGUF file,
converted as llama.cpp's convert_hf_to_gguf.py does (for tests/test_gguf.c;
standard library only).

    python3 tests/gguf_model.py OUT TYPE TIED VERSION [CORRUPT] --tokens a,b,c

runs hf_model.py into the folder OUT.hf (F16 or BF16 weights for TYPE
F16 or BF16, else F32; its llama2.c twin is OUT.hf.bin), reads its model.safetensors and
writes OUT, a GGUF file of format VERSION (2 or 3): metadata from its
config.json, q_proj/k_proj rows permuted as the converter's
LlamaModel.permute does (reshape(n_head, 2, hd/2, dim).swapaxes(1, 2):
Hugging Face's rotate-half into adjacent pairs), matrices in TYPE (F32,
F16, BF16, Q8_0 or Q4_0, quantized as ggml's quantize_row_q8_0_ref and
quantize_row_q4_0_ref do; a matrix whose rows are not whole blocks of 32
falls back to F16, as the converter's does) and norms in f32 (as the
converter keeps 1-d tensors). For Q8_0 and Q4_0 it also writes OUT.bin,
the llama2.c file of the dequantized weights. It prints hf_model.py's
reference logits (of the unquantized weights), then the logit tolerance
of the quantized file against them (below; 0 otherwise).

The tolerance: q8_0 perturbs matrix W by E, ||E||_F = r_W ||W||_F; to
first order each mat-vec's output moves by r_W of its size (F16
fallbacks count too) (E's rounding
errors are independent of the input), and the network's output by at
most the sum of r_W over the matrices on the path (no cancellation
assumed; RMSNorm keeps each layer's gain near 1). So
||logits - ref||_2 <= sum(r_W) ||ref||_2, r_W computed from the weights
written (about 1/254 each for q8_0: errors uniform in +-d/2, d =
max|w|/127; q4_0's d = max|w|/8 makes them about 16 times larger, a loose
bound, so its test leans on the dequantized twin).

CORRUPT breaks one thing for the error tests: magic (GGUX), version (1),
truncated (the file cut inside the metadata), offset (output_norm.weight's
data past the end), missing (no output_norm.weight), type (blk.1.attn_k
of ggml type 99), eps (layer_norm_rms_epsilon 1e-6).
"""
import json
import math
import os
import struct
import subprocess
import sys

ALIGN = 32
GT_F32, GT_F16, GT_Q4_0, GT_Q8_0, GT_BF16 = 0, 1, 2, 8, 30
VT_U32, VT_F32, VT_BOOL, VT_STRING, VT_ARRAY = 4, 6, 7, 8, 9


def f32(v):
    return struct.unpack('<f', struct.pack('<f', v))[0]


def read_safetensors(path):
    """name -> list of rows (or a vector), as floats."""
    with open(path, 'rb') as f:
        blob = f.read()
    n = struct.unpack('<Q', blob[:8])[0]
    header, data = json.loads(blob[8:8 + n]), blob[8 + n:]
    out = {}
    for name, t in header.items():
        b, e = t['data_offsets']
        fmt = {'F32': 'f', 'F16': 'e', 'BF16': 'H'}[t['dtype']]
        vals = list(struct.unpack('<%d%s' % ((e - b) // struct.calcsize(fmt), fmt), data[b:e]))
        if fmt == 'H':  # bf16: the top half of a f32
            vals = [struct.unpack('<f', struct.pack('<I', v << 16))[0] for v in vals]
        if len(t['shape']) == 2:
            cols = t['shape'][1]
            vals = [vals[r * cols:(r + 1) * cols] for r in range(t['shape'][0])]
        out[name] = vals
    return out


def permute(rows, n_head):
    """convert_hf_to_gguf.py's LlamaModel.permute on a list of rows:
    out[h][i][j] = in[h][j][i] for the view (n_head, 2, hd/2)."""
    hd = len(rows) // n_head
    return [rows[h * hd + j * (hd // 2) + i]
            for h in range(n_head) for i in range(hd // 2) for j in range(2)]


def q8_0(row):
    """ggml's quantize_row_q8_0_ref (f32 arithmetic): the bytes and the
    dequantized values d * q."""
    data, deq = b'', []
    for b in range(0, len(row), 32):
        x = row[b:b + 32]
        d = f32(max(abs(v) for v in x) / 127.0)
        inv = f32(1.0 / d) if d else 0.0
        q = [int(math.copysign(math.floor(abs(f32(v * inv)) + 0.5), v)) for v in x]
        dh = struct.unpack('<e', struct.pack('<e', d))[0]
        data += struct.pack('<e', d) + struct.pack('<32b', *q)
        deq += [dh * v for v in q]
    return data, deq


def q4_0(row):
    """ggml's quantize_row_q4_0_ref (f32 arithmetic): per block of 32, d =
    the value of largest magnitude / -8, q = min(15, trunc(x / d + 8.5)),
    byte k = q[k] | q[k + 16] << 4; the bytes and the dequantized values
    d * (q - 8)."""
    data, deq = b'', []
    for b in range(0, len(row), 32):
        x = row[b:b + 32]
        big = max(x, key=abs)
        d = f32(big / -8.0)
        inv = f32(1.0 / d) if d else 0.0
        q = [min(15, int(f32(f32(v * inv) + 8.5))) for v in x]
        dh = struct.unpack('<e', struct.pack('<e', d))[0]
        data += struct.pack('<e', d) + bytes(q[k] | q[k + 16] << 4 for k in range(16))
        deq += [dh * (v - 8) for v in q]
    return data, deq


def gguf_string(s):
    b = s.encode()
    return struct.pack('<Q', len(b)) + b


def kv(key, vtype, value):
    """One metadata pair; value packed by its type (arrays: (type, items))."""
    out = gguf_string(key) + struct.pack('<I', vtype)
    if vtype == VT_STRING:
        return out + gguf_string(value)
    if vtype == VT_ARRAY:
        et, items = value
        body = b''.join(gguf_string(v) if et == VT_STRING else
                        struct.pack({VT_F32: '<f', VT_U32: '<I'}[et], v) for v in items)
        return out + struct.pack('<IQ', et, len(items)) + body
    return out + struct.pack({VT_U32: '<I', VT_F32: '<f', VT_BOOL: '<?'}[vtype], value)


def gguf_tensors(w, cfg, ttype):
    """(name, rows, ggml type, bytes, values as read back) in GGUF order."""
    heads, kv_heads = cfg['num_attention_heads'], cfg['num_key_value_heads']
    names = [('token_embd', 'model.embed_tokens.weight', 0)]
    for l in range(cfg['num_hidden_layers']):
        p, b = 'model.layers.%d.' % l, 'blk.%d.' % l
        names += [(b + 'attn_norm', p + 'input_layernorm.weight', 0),
                  (b + 'attn_q', p + 'self_attn.q_proj.weight', heads),
                  (b + 'attn_k', p + 'self_attn.k_proj.weight', kv_heads),
                  (b + 'attn_v', p + 'self_attn.v_proj.weight', 0),
                  (b + 'attn_output', p + 'self_attn.o_proj.weight', 0),
                  (b + 'ffn_norm', p + 'post_attention_layernorm.weight', 0),
                  (b + 'ffn_gate', p + 'mlp.gate_proj.weight', 0),
                  (b + 'ffn_up', p + 'mlp.up_proj.weight', 0),
                  (b + 'ffn_down', p + 'mlp.down_proj.weight', 0)]
    names.append(('output_norm', 'model.norm.weight', 0))
    if 'lm_head.weight' in w:
        names.append(('output', 'lm_head.weight', 0))
    out = []
    for gname, hname, n_head in names:
        t = w[hname]
        if n_head:
            t = permute(t, n_head)
        if not isinstance(t[0], list) or ttype == 'F32':
            rows = t if isinstance(t[0], list) else [t]
            flat = [v for r in rows for v in r]
            out.append((gname + '.weight', rows, GT_F32, struct.pack('<%df' % len(flat), *flat)))
        elif ttype == 'BF16':  # hf_model.py's values are bf16 already: their top halves
            flat = [struct.unpack('<I', struct.pack('<f', v))[0] >> 16 for r in t for v in r]
            out.append((gname + '.weight', t, GT_BF16, struct.pack('<%dH' % len(flat), *flat)))
        elif ttype == 'F16' or len(t[0]) % 32:  # the converter's fallback for q8_0
            flat = [v for r in t for v in r]
            rows = [[struct.unpack('<e', struct.pack('<e', v))[0] for v in r] for r in t]
            out.append((gname + '.weight', rows, GT_F16, struct.pack('<%de' % len(flat), *flat)))
        else:
            quant, gtype = (q8_0, GT_Q8_0) if ttype == 'Q8_0' else (q4_0, GT_Q4_0)
            parts = [quant(r) for r in t]
            out.append((gname + '.weight', [d for _, d in parts], gtype,
                        b''.join(b for b, _ in parts)))
    return out


def write_gguf(path, cfg, tensors, version, tied, corrupt):
    meta = [kv('general.architecture', VT_STRING, 'llama'),
            kv('general.name', VT_STRING, 'hf_model'),
            kv('general.alignment', VT_U32, ALIGN),
            kv('llama.context_length', VT_U32, cfg['max_position_embeddings']),
            kv('llama.embedding_length', VT_U32, cfg['hidden_size']),
            kv('llama.block_count', VT_U32, cfg['num_hidden_layers']),
            kv('llama.feed_forward_length', VT_U32, cfg['intermediate_size']),
            kv('llama.rope.dimension_count', VT_U32,
               cfg['hidden_size'] // cfg['num_attention_heads']),
            kv('llama.attention.head_count', VT_U32, cfg['num_attention_heads']),
            kv('llama.attention.head_count_kv', VT_U32, cfg['num_key_value_heads']),
            kv('llama.attention.layer_norm_rms_epsilon', VT_F32,
               1e-6 if corrupt == 'eps' else cfg['rms_norm_eps']),
            kv('llama.rope.freq_base', VT_F32, cfg['rope_theta']),
            kv('tokenizer.ggml.add_bos_token', VT_BOOL, True),
            kv('tokenizer.ggml.scores', VT_ARRAY, (VT_F32, [0.0] * cfg['vocab_size']))]
    if tied:  # the vocabulary size from the token list, as llama.cpp does
        meta.append(kv('tokenizer.ggml.tokens', VT_ARRAY,
                       (VT_STRING, ['<t%d>' % i for i in range(cfg['vocab_size'])])))
    else:
        meta.append(kv('llama.vocab_size', VT_U32, cfg['vocab_size']))
    if corrupt == 'missing':
        tensors = [t for t in tensors if t[0] != 'output_norm.weight']
    infos, data = b'', b''
    for name, rows, gtype, blob in tensors:
        ne = [len(rows[0]), len(rows)] if len(rows) > 1 else [len(rows[0])]
        if corrupt == 'type' and name == 'blk.1.attn_k.weight':
            gtype = 99
        offset = len(data) + (ALIGN << 15 if corrupt == 'offset' and
                              name == 'output_norm.weight' else 0)
        infos += gguf_string(name) + struct.pack('<I', len(ne))
        infos += struct.pack('<%dQ' % len(ne), *ne) + struct.pack('<IQ', gtype, offset)
        data += blob + b'\0' * (-len(blob) % ALIGN)
    head = b'GGUX' if corrupt == 'magic' else b'GGUF'
    head += struct.pack('<IQQ', 1 if corrupt == 'version' else version, len(tensors),
                        len(meta))
    head += b''.join(meta) + infos
    head += b'\0' * (-len(head) % ALIGN)
    out = head + data
    if corrupt == 'truncated':
        out = out[:200]
    with open(path, 'wb') as f:
        f.write(out)


def write_llama2c(path, cfg, tensors, tied):
    """The llama2.c version-0 file of the tensors' values as read back."""
    by = {name: rows for name, rows, _, _ in tensors}
    L = cfg['num_hidden_layers']

    def layers(part):
        return [v for l in range(L) for r in by['blk.%d.%s.weight' % (l, part)] for v in r]

    hd = cfg['hidden_size'] // cfg['num_attention_heads']
    parts = [[v for r in by['token_embd.weight'] for v in r], layers('attn_norm'),
             layers('attn_q'), layers('attn_k'), layers('attn_v'), layers('attn_output'),
             layers('ffn_norm'), layers('ffn_gate'), layers('ffn_down'), layers('ffn_up'),
             by['output_norm.weight'][0], [0.0] * (cfg['max_position_embeddings'] * hd)]
    if not tied:
        parts.append([v for r in by['output.weight'] for v in r])
    V = cfg['vocab_size']
    with open(path, 'wb') as f:
        f.write(struct.pack('<7i', cfg['hidden_size'], cfg['intermediate_size'], L,
                            cfg['num_attention_heads'], cfg['num_key_value_heads'],
                            V if tied else -V, cfg['max_position_embeddings']))
        for p in parts:
            f.write(struct.pack('<%df' % len(p), *p))


def quant_tolerance(w, cfg, tensors):
    """sum over the rounded matrices of ||as stored - W||_F / ||W||_F."""
    total = 0.0
    exact = {n: r for n, r, _, _ in gguf_tensors(w, cfg, 'F32')}
    for name, rows, gtype, _ in tensors:
        if gtype == GT_F32:
            continue
        orig = exact[name]
        err = sum((a - b) ** 2 for ra, rb in zip(rows, orig) for a, b in zip(ra, rb))
        ref = sum(b * b for rb in orig for b in rb)
        total += math.sqrt(err / ref)
    return total


def main():
    args = sys.argv[1:]
    tokens = args[args.index('--tokens') + 1]
    args = args[:args.index('--tokens')]
    out, ttype, tied, version = args[0], args[1], args[2] == '1', int(args[3])
    corrupt = args[4] if len(args) > 4 else ''
    hf = out + '.hf'
    os.makedirs(hf, exist_ok=True)
    here = os.path.dirname(os.path.abspath(__file__))
    ref = subprocess.run([sys.executable, os.path.join(here, 'hf_model.py'), hf,
                          ttype if ttype in ('F16', 'BF16') else 'F32', '1' if tied else '0',
                          '1',
                          '--tokens', tokens], check=True, capture_output=True, text=True)
    with open(hf + '/config.json') as f:
        cfg = json.load(f)
    w = read_safetensors(hf + '/model.safetensors')
    tensors = gguf_tensors(w, cfg, ttype)
    write_gguf(out, cfg, tensors, version, tied, corrupt)
    tol = 0.0
    if ttype in ('Q8_0', 'Q4_0'):
        write_llama2c(out + '.bin', cfg, tensors, tied)
        tol = quant_tolerance(w, cfg, tensors)
    sys.stdout.write(ref.stdout)
    print('%.17g' % tol)


main()
