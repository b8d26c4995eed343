#!/usr/bin/python3
"""lanky-gguf.py -- a llama2.c checkpoint (what `lanky export` writes) as
a GGUF file that llama.cpp loads, for the comparison with llama-bench
(tests/bench_llama.sh, `make bench LLAMA_BENCH=...`).

    LLAMA_CPP=DIR /usr/bin/python3 scripts/lanky-gguf.py IN.bin OUT.gguf F32|F16|Q8_0

DIR is a llama.cpp source tree: the file is written by its own gguf-py
(GGUFWriter, and quants.quantize for Q8_0), with numpy (Debian's
python3-numpy). The weights are llama2.c's version-0 layout (run.c's
memory_map_weights: the 7-field header, then embedding, per-layer norms
and matrices in the order of ref/ckpt.c's write_model, the final norm,
the RoPE tables, which are skipped, and the classifier when vocab_size
is negative). llama2.c rotates adjacent pairs, as llama.cpp's LLAMA
architecture does, so q and k go in as they are (ref/gguf.h). Matrices
take the type asked for, norms stay F32, and a matrix whose rows are not
whole blocks of 32 falls back to F16 for Q8_0, as llama.cpp's converter
does. llama.cpp needs a vocabulary: a SentencePiece-shaped list of
placeholders (<unk>, <s>, </s>, the 256 byte tokens, then <tN>), which
llama-bench's random prompts never decode.
"""
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.environ.get('LLAMA_CPP', '.'), 'gguf-py'))
import gguf  # noqa: E402  (llama.cpp's gguf-py, found through LLAMA_CPP)

RMS_EPS = 1e-5          # ref/model.c's rmsnorm, llama2.c's
ROPE_BASE = 10000.0     # ref/ckpt.c's write_rope


def read_llama2c(path):
    """The header fields and the tensors as float32 arrays, in order."""
    with open(path, 'rb') as f:
        dim, hidden, layers, heads, kv_heads, vocab, seq = struct.unpack('<7i', f.read(28))
        data = np.fromfile(f, dtype='<f4')
    tied, vocab = vocab > 0, abs(vocab)
    hd = dim // heads
    kvd = kv_heads * hd
    shapes = [('token_embd', None, (vocab, dim)), ('attn_norm', layers, (dim,)),
              ('attn_q', layers, (dim, dim)), ('attn_k', layers, (kvd, dim)),
              ('attn_v', layers, (kvd, dim)), ('attn_output', layers, (dim, dim)),
              ('ffn_norm', layers, (dim,)), ('ffn_gate', layers, (hidden, dim)),
              ('ffn_down', layers, (dim, hidden)), ('ffn_up', layers, (hidden, dim)),
              ('output_norm', None, (dim,)), ('rope', None, (2 * seq * (hd // 2),))]
    if not tied:
        shapes.append(('output', None, (vocab, dim)))
    tensors, at = [], 0
    for name, n, shape in shapes:
        size = int(np.prod(shape))
        for l in range(n if n is not None else 1):
            t = data[at:at + size].reshape(shape)
            at += size
            if name != 'rope':
                tensors.append(('blk.%d.%s' % (l, name) if n is not None else name, t))
    if at != data.size:
        sys.exit('lanky-gguf.py: %s: %d floats, the header says %d' % (path, data.size, at))
    hdr = dict(dim=dim, hidden=hidden, layers=layers, heads=heads, kv_heads=kv_heads,
               vocab=vocab, seq=seq)
    return hdr, tensors


def vocabulary(n):
    """SentencePiece's shape: unknown, BOS, EOS, the byte tokens, the rest."""
    toks = ['<unk>', '<s>', '</s>'] + ['<0x%02X>' % b for b in range(256)]
    types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL]
    types += [gguf.TokenType.BYTE] * 256
    if n < len(toks):
        sys.exit('lanky-gguf.py: a vocabulary of %d is smaller than the %d special and byte '
                 'tokens llama.cpp expects' % (n, len(toks)))
    toks += ['<t%d>' % i for i in range(len(toks), n)]
    types += [gguf.TokenType.NORMAL] * (n - len(types))
    return toks, types


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in ('F32', 'F16', 'Q8_0'):
        sys.exit(__doc__.split('\n\n')[1])
    src, out, ttype = sys.argv[1:]
    h, tensors = read_llama2c(src)
    w = gguf.GGUFWriter(out, 'llama')
    w.add_name('lanky export of ' + os.path.basename(src))
    w.add_context_length(h['seq'])
    w.add_embedding_length(h['dim'])
    w.add_block_count(h['layers'])
    w.add_feed_forward_length(h['hidden'])
    w.add_rope_dimension_count(h['dim'] // h['heads'])
    w.add_head_count(h['heads'])
    w.add_head_count_kv(h['kv_heads'])
    w.add_layer_norm_rms_eps(RMS_EPS)
    w.add_rope_freq_base(ROPE_BASE)
    w.add_file_type({'F32': gguf.LlamaFileType.ALL_F32, 'F16': gguf.LlamaFileType.MOSTLY_F16,
                     'Q8_0': gguf.LlamaFileType.MOSTLY_Q8_0}[ttype])
    toks, types = vocabulary(h['vocab'])
    w.add_tokenizer_model('llama')
    w.add_token_list(toks)
    w.add_token_scores([0.0] * len(toks))
    w.add_token_types(types)
    w.add_unk_token_id(0)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    for name, t in tensors:
        if t.ndim == 1 or ttype == 'F32':
            w.add_tensor(name + '.weight', np.ascontiguousarray(t, dtype=np.float32))
        elif ttype == 'F16' or t.shape[1] % 32:
            w.add_tensor(name + '.weight', t.astype(np.float16))
        else:
            q = gguf.quants.quantize(t, gguf.GGMLQuantizationType.Q8_0)
            w.add_tensor(name + '.weight', q, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == '__main__':
    main()
