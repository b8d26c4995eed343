# lanky -- build, test, benchmark and report.
#
#   make          build/lanky
#   make check    unit and CLI tests, then again under ASan + UBSan
#   make bench    benchmarks (speed and memory targets; not tests)
#   make report   every sweep on every profile -> reports/out/
#   make fuzz     every parser's libFuzzer harness, FUZZ_SECONDS each (tests/fuzz/)
#   make clean    remove all build output
#   make install  PREFIX (default /usr/local), DESTDIR: bin/lanky, share/lanky,
#                 man page lanky(1); make uninstall removes them
#   make dist     a release tarball with a VERSION file
#   make CROSS=aarch64-linux-gnu [STATIC=1]   an aarch64 build in
#                 build/aarch64 (STATIC=1: one static binary, for Android)
#   make check-aarch64   the kern, pool and ref suites of the static one
#                 under qemu-aarch64, on a CPU with and one without the
#                 extensions
#   make PORTABLE=1 (or CFLAGS+=-DLK_PORTABLE_ONLY)   no instruction-set
#                 kernels at all, the portable ones only
#
# Missing Debian packages are installed first by scripts/deps.sh.
# BUILD names the output folder, so several builds can live side by side.

# CROSS names a Debian cross toolchain (aarch64-linux-gnu), linked
# against the arm64 builds of the libraries (multiarch, scripts/deps.sh
# cross): dynamically, for arm64 Linux with those packages, or with
# STATIC=1 (below) into one binary that Android's adb shell runs.
CROSS ?=
ifneq ($(CROSS),)
BUILD ?= build/$(firstword $(subst -, ,$(CROSS)))
CC := $(CROSS)-gcc
AR := $(CROSS)-ar
PKG_CONFIG := PKG_CONFIG_LIBDIR=/usr/lib/$(CROSS)/pkgconfig:/usr/share/pkgconfig \
              pkg-config
else
BUILD ?= build
CC ?= gcc
ifeq ($(CC),cc)
CC := gcc
endif
PKG_CONFIG := pkg-config
endif
SAN ?= 0

PKGS := check hwloc inih libcjson
CFLAGS_BASE := -std=gnu11 -D_GNU_SOURCE -g -Wall -Wextra -Werror -MMD -MP -pthread
OPT := -O2
ifeq ($(SAN),1)
OPT := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
       -fno-sanitize-recover=all
endif
# override: `make CFLAGS+=-DLK_PORTABLE_ONLY` adds to these, not in place
override CFLAGS += $(CFLAGS_BASE) $(OPT)
LDLIBS := -lcsv -lm -pthread
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags hwloc inih libcjson libcmark-gfm)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs hwloc inih libcjson libcmark-gfm)
CHECK_LIBS = $(shell $(PKG_CONFIG) --libs check)

# STATIC=1: a statically linked binary (Android has no glibc to link
# against). Debian 12's arm64 -dev packages ship libcsv.a, libhwloc.a,
# libinih.a, libcmark-gfm.a and libcheck.a, but no libcjson.a and no
# libudev.a, which libhwloc.a refers to. So LK_NO_CJSON drops what cJSON
# serves -- --config FILE (every spec-taking command), --format
# json|jsonl (every command) and Hugging Face folders (--checkpoint DIR
# of bench, logits, export): each says so and exits 2 -- and
# static/udev_none.c is "no udev" (hwloc then skips the block devices'
# udev properties, which lanky never loads). Objects depend on
# flags.txt, so a build folder switched between the two rebuilds.
STATIC ?= 0
ifeq ($(STATIC),1)
override CFLAGS += -DLK_NO_CJSON
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags hwloc inih libcmark-gfm)
# (linked as an object: from an archive nothing of lanky's would pull it)
STATIC_OBJ = $(BUILD)/obj/static/udev_none.o
PKG_LIBS = -static $(STATIC_OBJ) -Wl,--start-group $(filter-out -ludev,$(shell \
           $(PKG_CONFIG) --static --libs hwloc inih libcmark-gfm)) -Wl,--end-group
CHECK_LIBS = $(shell $(PKG_CONFIG) --static --libs check)
endif

# The instruction-set kernels, each compiled only for its architecture
# (the compiler's target) and none with PORTABLE=1; ref/kern_impl.h tests
# the same conditions to list them.
ifneq ($(findstring -DLK_PORTABLE_ONLY,$(CFLAGS)),)
PORTABLE := 1
endif
ISA_SRC_x86_64 := ref/kern_avx512.c ref/kern_avx2.c
ISA_SRC_aarch64 := ref/kern_neon.c
ifeq ($(PORTABLE),1)
override CFLAGS += -DLK_PORTABLE_ONLY
ISA_SRC :=
else
ISA_SRC := $(ISA_SRC_$(firstword $(subst -, ,$(shell $(CC) -dumpmachine))))
endif

LIB_SRC := $(filter-out $(ISA_SRC_x86_64) $(ISA_SRC_aarch64), \
             $(wildcard common/*.c arch/*.c ref/*.c sim/*.c host/*.c reports/*.c)) \
           $(ISA_SRC) $(filter-out cli/main.c,$(wildcard cli/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_UTIL := $(BUILD)/obj/tests/testutil.o
BENCH_SRC := $(wildcard tests/bench_*.c)
BENCH_BIN := $(BENCH_SRC:tests/%.c=$(BUILD)/tests/%)
DEPS_OK := $(BUILD)/.deps-ok

.PHONY: all check check-aarch64 test-run bench report clean deps install uninstall dist fuzz FORCE
.DELETE_ON_ERROR:
.SECONDARY:

all: $(BUILD)/lanky

deps: $(DEPS_OK)
$(DEPS_OK): scripts/deps.sh
	@mkdir -p $(BUILD)
	@sh scripts/deps.sh $(if $(CROSS),cross)
	@touch $@

$(BUILD)/obj/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

# The compiler and flags a build folder's objects were made with (see
# STATIC), rewritten only when they change, like version.txt below.
$(BUILD)/flags.txt: FORCE | $(DEPS_OK)
	@mkdir -p $(dir $@)
	@echo '$(CC) $(CFLAGS) $(PKG_LIBS)' | cmp -s - $@ || echo '$(CC) $(CFLAGS) $(PKG_LIBS)' >$@
$(LIB_OBJ) $(BUILD)/obj/cli/main.o $(TEST_UTIL) \
    $(TEST_SRC:tests/%.c=$(BUILD)/obj/tests/%.o): $(BUILD)/flags.txt
$(BUILD)/lanky $(TEST_BIN): | $(STATIC_OBJ)

$(BUILD)/liblanky.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# The version: a release tarball's VERSION file, else `git describe`.
# version.txt changes only when the version does, so main.o is rebuilt
# then and only then.
VERSION := $(shell cat VERSION 2>/dev/null || git describe --always --dirty 2>/dev/null || echo unknown)
$(BUILD)/version.txt: FORCE | $(DEPS_OK)
	@mkdir -p $(dir $@)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' >$@
$(BUILD)/obj/cli/main.o: $(BUILD)/version.txt
$(BUILD)/obj/cli/main.o: override CFLAGS += -DLK_VERSION='"$(VERSION)"'

$(BUILD)/lanky: $(BUILD)/obj/cli/main.o $(BUILD)/liblanky.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(TEST_UTIL) $(BUILD)/liblanky.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(CHECK_LIBS) $(PKG_LIBS) $(LDLIBS)

# Run every test program (or SUITES=kern ref: those) against this build's
# binary; stop at the first failing suite so the failure is the last
# thing on screen.
RUN_BIN := $(if $(SUITES),$(SUITES:%=$(BUILD)/tests/test_%),$(TEST_BIN))
test-run: $(BUILD)/lanky $(RUN_BIN)
	@for t in $(RUN_BIN); do \
	    echo "== $$t"; \
	    LANKY_BIN=$(BUILD)/lanky LANKY_ROOT=$(CURDIR) $$t || exit 1; \
	done

# The suites, lanky's cache model against valgrind's cachegrind on the
# reference transformer's real addresses, the suites again under the
# sanitizers, the kernel suites of a build without instruction-set
# kernels (what a machine without them builds), and the aarch64 build
# under qemu (check-aarch64, about 7 minutes here from clean; its first
# run installs the cross toolchain, scripts/deps.sh cross).
check: $(DEPS_OK)
	sh scripts/check-layers.sh
	$(MAKE) BUILD=$(BUILD) test-run
	sh sim/cachegrind-check.sh $(BUILD)/lanky
	sh tests/install-check.sh $(BUILD)
	sh tests/html-check.sh $(BUILD)
	sh tests/tex-check.sh $(BUILD)
	$(MAKE) BUILD=$(BUILD)/asan SAN=1 test-run
	$(MAKE) BUILD=$(BUILD)/portable PORTABLE=1 SUITES="kern ref" test-run
	$(MAKE) BUILD=$(BUILD) check-aarch64
	$(MAKE) BUILD=$(BUILD) fuzz FUZZ_SECONDS=$(FUZZ_CHECK_SECONDS)
	@echo "make check: all suites passed (plain, ASan+UBSan, portable-only and aarch64 builds, fuzzers)"

# reports/cluster/slurm-sweep.sh end to end on a one-node SLURM that
# tests/cluster-check.sh starts and stops on this machine (munged,
# slurmctld, slurmd on localhost; about 20 s). .ci/run calls it.
.PHONY: check-cluster
check-cluster: $(BUILD)/lanky
	sh tests/cluster-check.sh $(BUILD)

# The static aarch64 build's kernel, pool and model suites under
# qemu-user, then its logits against this build's
# (tests/logits-aarch64.sh): -cpu max has the dot-product extension
# kern_neon.c uses, cortex-a53 not, so both its paths run. The suites'
# own runs of the CLI (LANKY_BIN) go through the same emulator.
AARCH64 := build/aarch64
check-aarch64: $(BUILD)/lanky
	$(MAKE) CROSS=aarch64-linux-gnu STATIC=1 BUILD=$(AARCH64) $(AARCH64)/lanky \
	    $(AARCH64)/tests/test_kern $(AARCH64)/tests/test_ref $(AARCH64)/tests/test_pool
	file $(AARCH64)/lanky | grep -q 'statically linked' || \
	    { echo "check-aarch64: $(AARCH64)/lanky is not statically linked"; exit 1; }
	@for cpu in max cortex-a53; do for t in kern pool ref; do \
	    echo "== qemu-aarch64 -cpu $$cpu $(AARCH64)/tests/test_$$t"; \
	    QEMU_CPU=$$cpu LANKY_BIN="qemu-aarch64 $(AARCH64)/lanky" \
	    LANKY_ROOT=$(CURDIR) qemu-aarch64 $(AARCH64)/tests/test_$$t || exit 1; \
	done; done
	sh tests/logits-aarch64.sh $(BUILD)/lanky $(AARCH64)/lanky
	@echo "make check-aarch64: the static binary's kern, pool and ref suites and logits passed on both CPU models"

# Every benchmark runs even when one misses its target; the exit status
# says whether any did. LLAMA_BENCH=PATH (build/bin/llama-bench of a
# llama.cpp tree) adds lanky against llama.cpp on the same weights
# (tests/bench_llama.sh).
bench: $(BUILD)/lanky $(BENCH_BIN)
	@st=0; for b in $(BENCH_BIN); do \
	    echo "== $$b"; \
	    LANKY_BIN=$(BUILD)/lanky LANKY_ROOT=$(CURDIR) $$b || st=1; \
	done; \
	if [ -n "$(LLAMA_BENCH)" ]; then \
	    echo "== tests/bench_llama.sh $(LLAMA_BENCH)"; \
	    sh tests/bench_llama.sh $(BUILD)/lanky $(LLAMA_BENCH) || st=1; \
	fi; exit $$st

# Fuzzing (tests/fuzz/README.md): one libFuzzer harness per parser, built
# with clang and ASan+UBSan. clang 14 has no x86 _Float16, so the kernels
# are gcc's objects of the plain build, linked in uninstrumented. Each
# harness first runs its whole corpus (the seeds: the project's own files),
# then mutates for FUZZ_SECONDS; an input that crashes, leaks, takes over
# 5 s or 1 GB fails the run and is kept as FUZZ/crash-NAME-*.
FUZZ := $(BUILD)/fuzz
FUZZ_SECONDS ?= 20
FUZZ_CHECK_SECONDS ?= 15
FUZZ_NAMES := config profile csv ckpt spec hf
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -g -O1 -MMD -MP -pthread $(FUZZ_SAN)
FUZZ_KERN := $(BUILD)/obj/ref/kern.o $(ISA_SRC:%.c=$(BUILD)/obj/%.o)
FUZZ_OBJ := $(patsubst %.c,$(FUZZ)/obj/%.o,\
            $(filter-out ref/kern.c $(ISA_SRC),$(LIB_SRC)))
FUZZ_SEEDS_config := tests/fuzz/seeds/config/*.json
FUZZ_SEEDS_profile := hw-profiles/*.ini tests/data/*.ini
FUZZ_SEEDS_csv := sweeps/*.csv reports/paper-data/*.csv
FUZZ_SEEDS_spec := tests/fuzz/seeds/spec/*

$(FUZZ)/obj/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -c $< -o $@

$(FUZZ)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.c $(FUZZ_OBJ) $(FUZZ_KERN)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

# Seed checkpoints: two tiny models lanky exports (tied, and shared), and
# tests/gguf_model.py's q8_0 GGUF file (ckpt_load reads it by its magic).
$(FUZZ)/seeds/ckpt: $(BUILD)/lanky tests/gguf_model.py
	@rm -rf $@ $(FUZZ)/gguf && mkdir -p $@ $(FUZZ)/gguf
	$(BUILD)/lanky export --layers 1 --dim 8 --heads 2 --vocab 5 --seq-len 4 --tied \
	    --out $@/tied.bin >/dev/null
	$(BUILD)/lanky export --layers 2 --dim 8 --heads 2 --kv-heads 1 --vocab 3 \
	    --share immediate --unroll --seq-len 2 --out $@/gqa.bin >/dev/null
	python3 tests/gguf_model.py $(FUZZ)/gguf/q8.gguf Q8_0 1 3 --tokens 1 >/dev/null
	cp $(FUZZ)/gguf/q8.gguf $@/q8.gguf

# Seed safetensors files: tests/hf_model.py's F32 and BF16 models.
$(FUZZ)/seeds/hf: tests/hf_model.py
	@rm -rf $@ && mkdir -p $@/f32 $@/bf16
	python3 tests/hf_model.py $@/f32 F32 0 1 --tokens 1 >/dev/null
	python3 tests/hf_model.py $@/bf16 BF16 1 1 --tokens 1 >/dev/null
	cp $@/f32/model.safetensors $@/f32.safetensors
	cp $@/bf16/model.safetensors $@/bf16.safetensors

fuzz: $(FUZZ_NAMES:%=$(FUZZ)/fuzz_%) $(FUZZ)/seeds/ckpt $(FUZZ)/seeds/hf
	@for n in $(FUZZ_NAMES); do \
	    mkdir -p $(FUZZ)/corpus/$$n; \
	    case $$n in \
	    config) cp $(FUZZ_SEEDS_config) $(FUZZ)/corpus/$$n/ ;; \
	    profile) cp $(FUZZ_SEEDS_profile) $(FUZZ)/corpus/$$n/ ;; \
	    csv) cp $(FUZZ_SEEDS_csv) $(FUZZ)/corpus/$$n/ ;; \
	    ckpt) cp $(FUZZ)/seeds/ckpt/* $(FUZZ)/corpus/$$n/ ;; \
	    spec) cp $(FUZZ_SEEDS_spec) $(FUZZ)/corpus/$$n/ ;; \
	    hf) cp $(FUZZ)/seeds/hf/*.safetensors $(FUZZ)/corpus/$$n/ ;; \
	    esac; \
	done
	@st=0; for n in $(FUZZ_NAMES); do \
	    $(FUZZ)/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -timeout=5 -rss_limit_mb=1024 \
	        -artifact_prefix=$(FUZZ)/crash-$$n- $(FUZZ)/corpus/$$n \
	        >$(FUZZ)/$$n.log 2>&1 || st=1; \
	    runs=$$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' $(FUZZ)/$$n.log); \
	    crashes=$$(ls $(FUZZ)/crash-$$n-* 2>/dev/null | wc -l); \
	    echo "fuzz $$n: $${runs:-?} executions in $(FUZZ_SECONDS) s, $$crashes crashes" \
	         "(log $(FUZZ)/$$n.log)"; \
	done; exit $$st

# JOBS=N: the simulated sweeps as N shards on N cores (make-report.sh)
report: $(BUILD)/lanky
	@JOBS=$(JOBS) sh reports/make-report.sh $(BUILD)/lanky $(if $(QUICK),quick,full)

# Installed layout: the binary finds PREFIX/share/lanky/<folder> as it
# finds the project's folders (common/project.h). The man page is made
# from the commands' own --help texts (scripts/man.sh, help2man).
PREFIX ?= /usr/local
SHARE := $(DESTDIR)$(PREFIX)/share/lanky
$(BUILD)/lanky.1: $(BUILD)/lanky scripts/man.sh
	sh scripts/man.sh $(BUILD)/lanky >$@.tmp && mv $@.tmp $@

install: $(BUILD)/lanky $(BUILD)/lanky.1
	install -D -m 755 $(BUILD)/lanky $(DESTDIR)$(PREFIX)/bin/lanky
	install -D -m 644 $(BUILD)/lanky.1 $(DESTDIR)$(PREFIX)/share/man/man1/lanky.1
	install -d $(SHARE)/hw-profiles $(SHARE)/sweeps $(SHARE)/reports/paper-data
	install -m 644 $(filter-out hw-profiles/host.ini,$(wildcard hw-profiles/*.ini)) \
	    hw-profiles/*.md $(SHARE)/hw-profiles/
	install -m 644 sweeps/*.csv sweeps/*.md $(SHARE)/sweeps/
	install -m 644 reports/paper-data/* $(SHARE)/reports/paper-data/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/lanky $(DESTDIR)$(PREFIX)/share/man/man1/lanky.1
	rm -rf $(SHARE)

dist:
	@mkdir -p $(BUILD)
	git archive --prefix=lanky-$(VERSION)/ -o $(BUILD)/lanky-$(VERSION).tar HEAD
	echo '$(VERSION)' >$(BUILD)/VERSION
	tar -rf $(BUILD)/lanky-$(VERSION).tar --transform 's,^,lanky-$(VERSION)/,' \
	    -C $(BUILD) VERSION
	gzip -f $(BUILD)/lanky-$(VERSION).tar
	@echo "$(BUILD)/lanky-$(VERSION).tar.gz"

clean:
	rm -rf build $(BUILD) reports/out

-include $(shell find $(BUILD)/obj $(BUILD)/fuzz/obj -name '*.d' 2>/dev/null)
